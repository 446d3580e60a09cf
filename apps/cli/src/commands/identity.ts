import type { Command } from 'commander';
import { compatError } from '../client';
import type { Context } from '../context';
import { credentialArgument, examples } from '../context';
import { CliError } from '../errors';
import { list, treePath } from '../paths';

/** Sorts object members recursively (the reference prints `validate` that way). */
const sorted = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;

interface DelegateOptions {
  op?: string[];
  attributes?: string[];
  target: string[];
  heritable: string[];
  extend?: string;
}

/** Repeatable options: each occurrence is kept. */
const collect = (value: string, previous: string[]) => [...previous, value];

/** Each --target/--heritable occurrence is one ACL (an OR of comma-separated roles); occurrences AND. */
const aceOption = (acls: string[]) => ({ acls: acls.map((roles) => ({ roles: list(roles) })) });

export function registerIdentityCommands(program: Command, ctx: () => Context): void {
  examples(
    program
      .command('vouch')
      .description('get a credential for a principal you may vouch for (an identity plugin vouching for its users)')
      .argument('<principal>', 'the principal path, e.g. am://user/yoyodyne/bob'),
    'AM_USER=@plugin_cred am vouch am://user/yoyodyne/bob > bob_cred',
    'AM_USER=@bob_cred am ls am://user',
  ).action(async (arg: string) => {
    const c = ctx();
    const path = treePath(arg);
    const gw = await c.gateway();
    const r = await gw.request<{ credential?: string }>('GET', '/credential', { query: { path } });
    const failure = compatError(r.body);
    if (failure || !r.body?.credential) throw new CliError(`${path}: ${failure ?? 'no credential in the answer'}`);
    c.print(r.body.credential);
  });

  examples(
    program
      .command('delegate')
      .description(
        "get a credential for a dataset (a delegation credential carrying your delegated roles, or the provider's); " +
          'with --attributes, --target, --heritable or --extend, a delegation credential from POST /v1/credentials/delegation',
      )
      .argument('<dataset>', 'the dataset path')
      .option('--op <ops>', 'operations the credential is for, comma-separated (default: only View is needed)', list)
      .option('--attributes <globs>', 'keep only delegated roles matching these globs, comma-separated (* within a segment, ** across)', list)
      .option('--target <roles>', 'target ACE: whoever the credential is presented to must hold one of these roles (comma-separated); repeat for AND', collect, [])
      .option('--heritable <roles>', 'heritable ACE: an ACL every extension keeps in its target (comma-separated roles); repeat for AND', collect, [])
      .option('--extend <credential>', 'extend this delegation credential (or @file): fresh lifetime, never wider'),
    'AM_USER=@bob_cred am delegate am://data/yoyodyne/daos1',
    'am delegate am://data/yoyodyne/daos1 --op READ',
    'am delegate am://data/yoyodyne/daos1 --attributes "am://role/yoyodyne/daos/raw" --target am://role/yoyodyne/db-server > deleg',
    'am delegate am://data/yoyodyne/daos1 --extend @deleg --target am://role/yoyodyne/backup',
  ).action(async (arg: string, o: DelegateOptions) => {
    const c = ctx();
    const path = treePath(arg);
    const gw = await c.gateway();
    if (o.attributes || o.target.length || o.heritable.length || o.extend) {
      if (o.op) throw new CliError('--op asks for a provider credential; it does not combine with delegation options');
      const body = {
        dataset: path,
        attributes: o.attributes,
        targetAce: o.target.length ? aceOption(o.target) : undefined,
        heritableAce: o.heritable.length ? aceOption(o.heritable) : undefined,
        delegation: o.extend ? await credentialArgument(o.extend, 'the --extend credential') : undefined,
      };
      const r = await gw.request<{ credential: string }>('POST', '/v1/credentials/delegation', { body, secretBody: true });
      if (c.output === 'table') c.print(r.body.credential);
      else c.json(r.body);
      return;
    }
    const r = await gw.request('GET', '/datasetcredential', { query: { path, operations: (o.op ?? []).map((op) => op.toUpperCase()) } });
    const failure = compatError(r.body);
    if (failure) throw new CliError(`${path}: ${failure}`);
    c.json(r.body);
  });

  examples(
    program
      .command('validate')
      .description('check a credential\'s signature and times and show its claims (exit 1 when not valid)')
      .option('-c, --credential <credential>', 'the credential (or @file; default: yours, from AM_USER or --user)')
      .option('--as-target', 'you are the consumer the delegation credential (-c) was presented to: valid only if your roles satisfy its target ACE'),
    'am validate -c "$(cat bob_cred)"',
    'AM_USER=@bob_cred am validate',
    'AM_USER=@db_cred am validate -c @deleg --as-target',
  ).action(async (o: { credential?: string; asTarget?: boolean }) => {
    const c = ctx();
    if (o.asTarget && !o.credential) throw new CliError('--as-target checks the delegation credential given with -c/--credential against your own');
    const gw = await c.gateway(o.asTarget === true);
    const credential = o.credential ? await credentialArgument(o.credential, 'the credential to check') : await c.userCredential();
    if (!credential) throw new CliError('give the credential to check with -c/--credential');
    // The v1 route takes the credential in the body (never in a URL); printed in the reference's shape.
    const body = o.asTarget ? { credential, asTarget: true } : { credential };
    const r = await gw.request<{ valid: boolean; message: string; claims?: unknown; target?: unknown }>('POST', '/v1/credentials/validate', { body, secretBody: true });
    const { valid, message, claims, target } = r.body;
    const info = valid && claims ? JSON.stringify(claims, null, 2) : '';
    c.json(sorted({ valid, info, error: { error: valid ? 0 : 1, message: valid ? 'credential is valid' : message, global: '0' }, ...(target ? { target } : {}) }));
    if (!valid) throw new CliError(`credential is not valid: ${message || 'invalid credential'}`);
  });

  examples(
    program.command('signing-keys').description('the public keys that verify credentials, by expiry (Unix seconds)'),
    'am signing-keys',
  ).action(async () => {
    const c = ctx();
    const gw = await c.gateway(false);
    const r = await gw.request<{ keys?: Record<string, string> }>('GET', '/signingkeys');
    const failure = compatError(r.body);
    if (failure) throw new CliError(failure);
    c.json({ keys: r.body?.keys ?? {} });
  });

  examples(
    program.command('whoami').description('the principal your credential stands for, and how it was recognised'),
    'am whoami',
    'AM_USER=am://user/hpe/bu1/alice am --output table whoami',
  ).action(async () => {
    const c = ctx();
    const gw = await c.gateway();
    const r = await gw.request<{ principal: string; via: string; revision: number }>('GET', '/v1/whoami');
    if (c.output === 'table') c.print(`${r.body.principal} (${r.body.via})`);
    else c.json(r.body);
  });
}
