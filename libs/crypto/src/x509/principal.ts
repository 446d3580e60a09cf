/**
 * Principals that certificates may name: `am://user/…` and `am://workload/…` paths with the
 * access model's component grammar (libs/model path.ts; repeated here so the crypto library has
 * no dependency on the model).
 */
import { X509InputError } from './errors';

const PRINCIPAL_ROOTS = ['am://user/', 'am://workload/'] as const;
const COMPONENT = /^[A-Za-z0-9._~-]+$/;
const MAX_COMPONENTS = 32;
const MAX_BYTES = 1024;

export function isCertificatePrincipal(path: string): boolean {
  const root = PRINCIPAL_ROOTS.find((r) => path.startsWith(r));
  if (!root || Buffer.byteLength(path) > MAX_BYTES) return false;
  const components = path.slice('am://'.length).split('/');
  return components.length >= 2 && components.length <= MAX_COMPONENTS && components.every((c) => COMPONENT.test(c) && !/^\.+$/.test(c));
}

export function checkCertificatePrincipal(path: unknown): string {
  if (typeof path !== 'string' || !isCertificatePrincipal(path)) {
    throw new X509InputError(
      `principal ${JSON.stringify(String(path).slice(0, 200))} is not an am://user/… or am://workload/… path`,
      'invalid-principal',
    );
  }
  return path;
}

export const isWorkload = (path: string): boolean => path.startsWith('am://workload/');
