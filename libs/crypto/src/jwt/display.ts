import { CredentialClaims } from './claims';

/** The `info` text of the validate endpoints: the claims as JSON with 2-space indentation (compat-rest §4.9). */
export function credentialInfo(claims: CredentialClaims): string {
  return JSON.stringify(claims, null, 2);
}
