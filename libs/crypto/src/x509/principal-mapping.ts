/**
 * From a verified client certificate to a principal. Two rules, chosen per trust anchor:
 * - `san-uri` (our own CA, and external CAs that write am:// URIs): the certificate must carry
 *   exactly one `am://` SAN URI; it must be an am://user/… or am://workload/… path under one of
 *   the anchor's allowed prefixes (so an external CA cannot claim principals outside its area).
 * - `subject-template`: e.g. `am://user/partner/{CN}`; placeholders name subject attributes
 *   (CN, O, OU, UID, serialNumber), each of which must occur exactly once in the subject and be a
 *   valid path component ([A-Za-z0-9._~-], not only dots), so a subject cannot inject "/" or "..".
 */
import type { ParsedCertificate } from './certificate';
import { X509InputError } from './errors';
import { isCertificatePrincipal } from './principal';

export type PrincipalMappingRule = { kind: 'san-uri'; allowedPrefixes?: string[] } | { kind: 'subject-template'; template: string };

export const OWN_CA_MAPPING: PrincipalMappingRule = { kind: 'san-uri' };
const DEFAULT_PREFIXES = ['am://user/', 'am://workload/'];
const PLACEHOLDER = /\{([A-Za-z]+)\}/g;
const TEMPLATE_ATTRIBUTES = new Set(['CN', 'O', 'OU', 'UID', 'serialNumber']);
const COMPONENT = /^[A-Za-z0-9._~-]+$/;

/** Throws X509InputError when a rule could never produce a valid principal. */
export function checkMappingRule(rule: PrincipalMappingRule): PrincipalMappingRule {
  if (rule.kind === 'san-uri') {
    for (const prefix of rule.allowedPrefixes ?? DEFAULT_PREFIXES) {
      const valid = prefix.endsWith('/') && (DEFAULT_PREFIXES.includes(prefix) || isCertificatePrincipal(prefix.slice(0, -1)));
      if (!valid) {
        throw new X509InputError(`SAN URI prefix ${JSON.stringify(prefix)} must be an am://user/… or am://workload/… path ending in "/"`);
      }
    }
    return rule;
  }
  if (rule.kind === 'subject-template') {
    const names = [...rule.template.matchAll(PLACEHOLDER)].map((m) => m[1]);
    const unknown = names.find((n) => !TEMPLATE_ATTRIBUTES.has(n));
    if (!names.length || unknown) throw new X509InputError(`subject template ${JSON.stringify(rule.template)} needs placeholders among {CN}, {O}, {OU}, {UID}, {serialNumber}`);
    if (!isCertificatePrincipal(rule.template.replace(PLACEHOLDER, 'x'))) throw new X509InputError(`subject template ${JSON.stringify(rule.template)} does not form an am://user/… or am://workload/… path`);
    return rule;
  }
  throw new X509InputError('unknown principal mapping rule');
}

/** The principal, or a message saying why none can be derived. */
export function mapToPrincipal(cert: ParsedCertificate, rule: PrincipalMappingRule): { principal: string } | { error: string } {
  if (rule.kind === 'san-uri') {
    const uris = cert.altNames.uris.filter((u) => u.startsWith('am://'));
    if (uris.length !== 1) return { error: `expected exactly one am:// SAN URI, found ${uris.length}` };
    const [uri] = uris;
    if (!isCertificatePrincipal(uri)) return { error: `SAN URI ${uri} is not a user or workload path` };
    const prefixes = rule.allowedPrefixes ?? DEFAULT_PREFIXES;
    if (!prefixes.some((p) => uri.startsWith(p))) return { error: `SAN URI ${uri} is outside this CA's area (${prefixes.join(', ')})` };
    return { principal: uri };
  }
  let problem: string | undefined;
  const principal = rule.template.replace(PLACEHOLDER, (_, name: string) => {
    const values = cert.subject.filter((a) => a.type === name).map((a) => a.value);
    if (values.length !== 1) problem ??= `subject attribute ${name} occurs ${values.length} times`;
    else if (!COMPONENT.test(values[0]) || /^\.+$/.test(values[0])) problem ??= `subject ${name} ${JSON.stringify(values[0])} is not a valid path component`;
    return values[0] ?? '';
  });
  if (problem) return { error: problem };
  return isCertificatePrincipal(principal) ? { principal } : { error: `${principal} is not a user or workload path` };
}
