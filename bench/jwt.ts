// Credential issue and verification cost (libs/crypto/src/jwt): ES256 issue and verify through
// node:crypto (verify with every §8.3 check), and the gateway's verification cache on a hit. jose's
// own jwtVerify is measured alongside to show what the synchronous verifier buys.
// The last stdout line is the JSON summary read by scripts/bench.mjs.
import { CachingCredentialVerifier, generateSigningKey, issueCredential, verifyCredential } from '@am/crypto';
import { jwtVerify } from 'jose';

const NOW = Math.floor(Date.now() / 1000);
const LIFETIME = 1800;
const ISSUE_COUNT = 4_000;
const DISTINCT_TOKENS = 2_000;
const VERIFY_PASSES = 3;
const CACHE_LOOKUPS = 300_000;

interface Measured {
  perSecond: number;
  p50Us: number;
  p99Us: number;
}

/** Times each call on its own (the rate is over the summed call times, so timer overhead counts against it). */
async function measure(count: number, call: (i: number) => unknown): Promise<Measured> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const result = call(i);
    if (result instanceof Promise) await result;
    samples[i] = Number(process.hrtime.bigint() - start) / 1e3;
  }
  const total = samples.reduce((a, b) => a + b, 0);
  samples.sort();
  return { perSecond: count / (total / 1e6), p50Us: samples[Math.floor(count * 0.5)], p99Us: samples[Math.floor(count * 0.99)] };
}

async function main(): Promise<void> {
  const key = generateSigningKey(NOW + 6 * 3600);
  const keys = new Map([[key.expiry, key]]);
  const options = { keys, now: NOW, accept: 'login' as const };
  const issue = (i: number) => issueCredential({ key, principal: `am://user/org${i % 100}/user${i}`, kind: 'login', lifetimeSec: LIFETIME, now: NOW });

  await measure(500, issue); // warm-up: JIT and jose's key import cache
  const issued = await measure(ISSUE_COUNT, issue);

  const tokens = await Promise.all(Array.from({ length: DISTINCT_TOKENS }, (_, i) => issue(i)));
  await measure(500, (i) => verifyCredential(tokens[i], options));
  const verified = await measure(DISTINCT_TOKENS * VERIFY_PASSES, (i) => verifyCredential(tokens[i % DISTINCT_TOKENS], options));

  const joseOptions = { issuer: 'access-manager', audience: 'access-manager', algorithms: ['ES256'], currentDate: new Date(NOW * 1000) };
  await measure(500, (i) => jwtVerify(tokens[i], key.publicKey, joseOptions));
  const jose = await measure(DISTINCT_TOKENS, (i) => jwtVerify(tokens[i], key.publicKey, joseOptions));

  const cache = new CachingCredentialVerifier();
  for (const t of tokens) cache.verify(t, options); // fill: every lookup below is a hit
  const cached = await measure(CACHE_LOOKUPS, (i) => cache.verify(tokens[i % DISTINCT_TOKENS], options));
  if (cache.misses !== DISTINCT_TOKENS) throw new Error(`expected only hits after filling, got ${cache.misses - DISTINCT_TOKENS} misses`);

  const tokenBytes = Math.round(tokens.reduce((n, t) => n + t.length, 0) / tokens.length);
  const rate = (m: Measured) => `${Math.round(m.perSecond).toLocaleString('en-US')}/s (p50 ${m.p50Us.toFixed(1)} µs, p99 ${m.p99Us.toFixed(1)} µs)`;
  console.log(`issue ${rate(issued)}`);
  console.log(`verify ${rate(verified)}; jose jwtVerify ${rate(jose)}`);
  console.log(`verify, cache hit ${rate(cached)}; token ${tokenBytes} bytes`);
  console.log(
    JSON.stringify({
      title: 'JWT credentials: ES256 issue, verify, verification cache',
      metrics: [
        { name: 'issue', value: issued.perSecond, unit: '1/s' },
        { name: 'issue p50', value: issued.p50Us, unit: 'µs' },
        { name: 'issue p99', value: issued.p99Us, unit: 'µs' },
        { name: 'verify (uncached, all §8.3 checks)', value: verified.perSecond, unit: '1/s' },
        { name: 'verify p50', value: verified.p50Us, unit: 'µs' },
        { name: 'verify p99', value: verified.p99Us, unit: 'µs' },
        { name: 'verify (cache hit)', value: cached.perSecond, unit: '1/s' },
        { name: 'cache hit p50', value: cached.p50Us, unit: 'µs' },
        { name: 'cache hit p99', value: cached.p99Us, unit: 'µs' },
        { name: 'jose jwtVerify (for comparison)', value: jose.perSecond, unit: '1/s' },
        { name: 'token size', value: tokenBytes, unit: 'B' },
      ],
      notes:
        'Single thread, one process per run, one P-256 key. Each call timed on its own with process.hrtime.bigint; rates are calls over summed call time. ' +
        `Issue = issueCredential (node:crypto ES256) for distinct principals; verify = verifyCredential (node:crypto ES256, syntax, key, times, iss/aud, id, kind) over ${DISTINCT_TOKENS} distinct tokens; ` +
        'cache hit = CachingCredentialVerifier.verify on a filled cache (SHA-256 of the token, time and key re-checks); jose jwtVerify with issuer/audience/algorithm checks on the same tokens.',
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
