import { BusUnavailableError, datasetCredentialContract, runHandler, vouchContract, type BusClient, type BusHandler } from '@am/bus';
import { generateSigningKey } from '@am/crypto';
import pino from 'pino';
import { InvalidArgumentError, UnavailableError } from '@am/model';
import type { CredentialEventLog } from '../events';
import type { SigningKeyStore } from '../keys/signing-key-store';
import { compileFilter, filterMatches, MAX_FILTER_WILDCARDS } from './attribute-filter';
import { credentialHandlers } from './handlers';
import { CredentialIssuer } from './issuer';

/** Handlers against a scripted policy: what identity does with each kind of answer. */
function setup(answer: (subject: string) => unknown, log: { admit?: () => void; record?: () => void } = {}) {
  const key = generateSigningKey(Math.floor(Date.now() / 1000) + 6 * 3600);
  const signed: number[] = [];
  const keys = {
    get: (e: number) => (e === key.expiry ? key : undefined),
    all: () => [key],
    signingKeyFor: async () => (signed.push(1), key),
  } as unknown as SigningKeyStore;
  const recorded: unknown[] = [];
  const counted: unknown[] = [];
  const events = {
    admit: log.admit ?? (() => undefined),
    record: (e: unknown) => {
      log.record?.();
      recorded.push(e);
    },
  } as unknown as CredentialEventLog;
  const bus = {
    request: async (c: { subject: string }) => {
      const a = answer(c.subject);
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as BusClient;
  const issuer = new CredentialIssuer(keys, events, (e) => void counted.push(e), pino({ level: 'silent' }));
  const handlers = credentialHandlers({ bus, issuer, keys, lifetimes: { vouchSec: 1800, delegationSec: 1800 } });
  const run = (subject: string, body: unknown) => runHandler(handlers.find((h: BusHandler) => h.contract.subject === subject)!, body, () => undefined);
  return { run, recorded, signed, counted };
}

describe('credential handlers (policy scripted)', () => {
  it('gives no fake credential for a provider dataset (access-model §10.2)', async () => {
    const { run, recorded } = setup(() => ({
      revision: 1,
      caller: 'am://user/a',
      plan: { kind: 'provider', dataset: 'am://data/x', providerPath: 'am://data', provider: '{"factory":"s3"}', operations: ['READ'] },
    }));
    expect(await run(datasetCredentialContract.subject, { credential: 'am://user/a', dataset: 'am://data/x', operations: ['read'] })).toEqual({
      ok: false,
      error: { code: 'failed-precondition', message: 'credential factory unavailable' },
    });
    expect(recorded).toEqual([]);
  });

  it('fails closed when policy does not answer', async () => {
    const { run, recorded } = setup((subject) => new BusUnavailableError(subject, 'timed out'));
    const r = await run(vouchContract.subject, { credential: 'am://workload/p', principal: 'am://user/b' });
    expect(r).toEqual({ ok: false, error: { code: 'unavailable', message: 'am.policy.vouch.authorize unavailable: timed out' } });
    expect(recorded).toEqual([]);
  });

  const lagging = () => {
    throw new UnavailableError('audit records are not reaching etcd');
  };
  const decided = () => ({ revision: 7, caller: 'am://workload/p', principal: 'am://user/b' });

  it('signs nothing while the audit log refuses to admit an issue (its records lag behind)', async () => {
    const { run, recorded, signed, counted } = setup(decided, { admit: lagging });
    const r = await run(vouchContract.subject, { credential: 'am://workload/p', principal: 'am://user/b' });
    expect(r).toEqual({ ok: false, error: { code: 'unavailable', message: 'audit records are not reaching etcd' } });
    expect([recorded, signed, counted]).toEqual([[], [], []]);
  });

  it('hands out and counts nothing when the audit log refuses the record of a signed credential', async () => {
    const { run, signed, counted } = setup(decided, { record: lagging });
    const r = await run(vouchContract.subject, { credential: 'am://workload/p', principal: 'am://user/b' });
    expect(r).toEqual({ ok: false, error: { code: 'unavailable', message: 'audit records are not reaching etcd' } });
    expect(signed).toHaveLength(1);
    expect(counted).toEqual([]);
  });

  it('issues for exactly the principal policy named (normalised), handing its event to the audit log', async () => {
    const { run, recorded } = setup(() => ({ revision: 7, caller: 'am://workload/p', principal: 'am://user/b' }));
    const r = (await run(vouchContract.subject, { credential: 'am://workload/p', principal: 'am://user//b/' })) as { ok: true; value: { principal: string; revision: number } };
    expect(r.value).toMatchObject({ principal: 'am://user/b', revision: 7 });
    expect(recorded).toEqual([expect.objectContaining({ kind: 'credential-issued', principal: 'am://user/b', actor: 'am://workload/p', via: 'vouch' })]);
  });
});

describe('attribute filters', () => {
  const matches = (pattern: string, role: string) => filterMatches(compileFilter([pattern]), role);

  it('match role paths with * inside a segment and ** across segments', () => {
    expect(matches('am://role/org/*', 'am://role/org/a')).toBe(true);
    expect(matches('am://role/org/*', 'am://role/org/a/b')).toBe(false);
    expect(matches('am://role/org/**', 'am://role/org/a/b')).toBe(true);
    expect(matches('am://role/org/**', 'am://role/org/')).toBe(true);
    expect(matches('am://role/org/**', 'am://role/org')).toBe(false);
    expect(matches('am://role/o*/x', 'am://role/org/x')).toBe(true);
    expect(matches('am://role/o*/x', 'am://role/org/y/x')).toBe(false);
    expect(matches('am://role/o**/x', 'am://role/org/y/x')).toBe(true);
    expect(matches('am://role/*a*b*', 'am://role/xaybz')).toBe(true);
    expect(matches('am://role/*a*b*', 'am://role/xbyaz')).toBe(false);
    expect(matches('*', 'am://role/a')).toBe(false); // * stops at the first /
    expect(matches('**', 'am://role/a/b')).toBe(true);
    expect(matches('am://role/***', 'am://role/a/b')).toBe(true); // a run of stars is **
    expect(filterMatches(compileFilter(['am://role/x?y', 'am://role/x.y']), 'am://role/x.y')).toBe(true);
    expect(matches('am://role/x.y', 'am://role/xzy')).toBe(false); // no RegExp metacharacters
    expect(matches('am://role/(a|b)', 'am://role/a')).toBe(false);
  });

  it('refuses patterns outside am://role/ and patterns with too many wildcards', () => {
    expect(() => compileFilter(['am://data/x'])).toThrow(InvalidArgumentError);
    expect(() => compileFilter([`am://role/${'*a'.repeat(MAX_FILTER_WILDCARDS + 1)}`])).toThrow(InvalidArgumentError);
    expect(() => compileFilter([`am://role/${'*a'.repeat(MAX_FILTER_WILDCARDS)}`])).not.toThrow();
    expect(() => compileFilter(Array.from({ length: 5 }, () => `am://role/${'x'.repeat(1000)}`))).toThrow('at most 4096 characters');
  });

  it('match hostile patterns in time linear in the role, not exponential in the wildcards', () => {
    // A backtracking RegExp needed seconds for 14 ** and never finished for 30.
    const role = `am://role/${'a'.repeat(900)}`;
    const filter = compileFilter([`am://role/${'**a'.repeat(MAX_FILTER_WILDCARDS)}Z`, `am://role/${'*a'.repeat(MAX_FILTER_WILDCARDS)}Z`, `${'**'.repeat(200)}Z`]);
    expect(filterMatches(filter, role)).toBe(false);
    expect(filterMatches(filter, `${role}Z`)).toBe(true);
  });
});
