import type { Command } from 'commander';
import { Option } from 'commander';
import { readFile } from 'node:fs/promises';
import type { Context } from '../context';
import { examples } from '../context';
import { CliError } from '../errors';
import { goStyleDetails, parseJsonKeepingInt64 } from '../json';
import { list, nodeUrl, treePath } from '../paths';
import { aclText, OP_NAMES, ref, windowText, type NodeView } from './views';

interface Listed {
  path: string;
  details?: NodeView;
  children?: Listed[];
}

/** Runs at most `n` of the given jobs at a time. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export function registerNodeCommands(program: Command, ctx: () => Context): void {
  examples(
    program
      .command('ls')
      .description('list a node and its children (JSON as the reference `am ls`; -l adds the details)')
      .argument('[path]', 'an am:// path', 'am://')
      .option('-l, --long', 'show each node\'s roles, ACEs and annotations')
      .addOption(new Option('-d, --direct', 'only the node itself, no children').conflicts('recursive'))
      .addOption(new Option('-r, --recursive', 'the whole subtree the caller can see').conflicts('direct'))
      .option('--as-of <revision|time>', 'the tree as it was at a past revision or ISO 8601 time'),
    'am ls am://user',
    'am ls -r am://',
    'am ls -l am://user/hpe/bu1/alice',
    'am --output table ls -l -d am://data/hpe',
  ).action(async (arg: string, o: { long?: boolean; direct?: boolean; recursive?: boolean; asOf?: string }) => {
    const c = ctx();
    const path = treePath(arg);
    const gw = await c.gateway();
    const depth = o.direct ? 0 : o.recursive ? Infinity : 1;
    const run = limiter(8);
    // Children page by page: a directory of any size, at one revision.
    const fetchNode = (p: string) => run(() => gw.allPages<NodeView & Record<string, unknown>>(nodeUrl(p), 'children', { query: { asOf: o.asOf } }));
    const walk = async (p: string, left: number): Promise<Listed> => {
      // On the last level shown, the short form needs only the path: no request.
      if (left === 0 && !o.long && p !== path) return { path: p };
      const details = await fetchNode(p);
      const kids = left > 0 && details.children.length > 0 ? await Promise.all(details.children.map((k) => walk(k, left - 1))) : undefined;
      return { path: p, details, children: kids };
    };
    const tree = await walk(path, depth);
    if (c.output === 'table') return printTree(c, tree, o.long ?? false);
    const short = (n: Listed): object => ({ path: n.path, children: n.children?.map(short) });
    const long = (n: Listed): object => ({ Details: goStyleDetails(n.details as unknown as Record<string, unknown>), Children: n.children?.map(long) });
    c.json(o.long ? long(tree) : short(tree), 3);
  });

  examples(
    program.command('mk').description('create a leaf (a user, workload, role or dataset)').argument('<path>', 'the new node'),
    'am mk am://user/hpe/bu1/tom',
    'am mk am://data/hpe/bu1/new-dataset',
  ).action(async (arg: string) => create(ctx(), arg, 'leaf'));

  examples(
    program.command('mkdir').description('create a directory').argument('<path>', 'the new directory'),
    'am mkdir am://data/hpe/bu1/archive',
  ).action(async (arg: string) => create(ctx(), arg, 'dir'));

  examples(
    program
      .command('rm')
      .description('delete a node (a leaf or an empty directory; -r for a subtree), or one annotation PATH#tag-unique')
      .argument('<target>', 'an am:// path, or PATH#tag-unique as shown by `am ls -l`')
      .option('-r, --recursive', 'delete a directory with everything below it')
      .option('--version <n>', 'annotations: only if the annotation still has this version'),
    'am rm am://user/hpe/bu1/tom',
    'am rm -r am://data/hpe/bu1/archive',
    'am rm am://user/yoyodyne/fred#ssh-pubkey-116645369962115',
  ).action(async (arg: string, o: { recursive?: boolean; version?: string }) => {
    const c = ctx();
    const m = /^(am:\/\/.+)#([A-Za-z0-9-]+)-([0-9]+)$/.exec(arg.trim());
    const gw = await c.gateway();
    if (m) {
      if (o.version !== undefined && !/^-?\d+$/.test(o.version)) throw new CliError(`invalid version: ${o.version}`);
      const path = treePath(m[1]);
      await gw.request('DELETE', nodeUrl(path, `annotations/${encodeURIComponent(m[2])}/${m[3]}`), { query: { version: o.version } });
      return;
    }
    if (o.version !== undefined) throw new CliError('--version applies to annotations (PATH#tag-unique) only');
    const path = treePath(arg);
    const r = await gw.request<{ removed?: string[] }>('DELETE', nodeUrl(path), { query: { recursive: o.recursive ? 'true' : undefined } });
    if (c.output === 'table') for (const p of r.body?.removed ?? [path]) c.print(`Removed ${p}`);
  });

  examples(
    program
      .command('annotate')
      .description('add a free-form annotation key=value to a node (ssh-pubkey, data-info, ...)')
      .argument('<path>', 'the node')
      .argument('<key=value>', 'tag and text of the annotation'),
    'am annotate am://user/the-operator "ssh-pubkey=$(cat ~/.ssh/id_ed25519.pub)"',
    'am annotate am://data/x/y \'data-info={"delegatedAttributes":["am://role/a"]}\'',
  ).action(async (arg: string, kv: string) => {
    const c = ctx();
    const path = treePath(arg);
    const eq = kv.indexOf('=');
    if (eq < 0) throw new CliError(`annotation must be in the form key=value, got ${kv}`);
    const key = kv.slice(0, eq).trim();
    const value = kv.slice(eq + 1).trim();
    if (!key || /[\r\n]/.test(key)) throw new CliError(`invalid annotation key: ${JSON.stringify(key)}`);
    if (!value || /[\r\n]/.test(value)) throw new CliError(`invalid annotation value: ${JSON.stringify(value)}`);
    const gw = await c.gateway();
    try {
      await gw.request('POST', nodeUrl(path, 'annotations'), { body: { tag: key, data: value } });
    } catch (err) {
      throw new CliError(`error annotating "${path}": ${(err as Error).message}`);
    }
  });

  examples(
    program
      .command('chrole')
      .description('apply roles to a user or workload (-a), or remove roles applied directly to it (-r)')
      .argument('<path>', 'the principal (or directory) the roles are applied to')
      .option('-a, --add <roles>', 'comma-separated roles to apply', list)
      .option('-r, --remove <roles>', 'comma-separated roles to remove', list),
    'am chrole am://user/hpe/bu1/bob -a am://role/hpe/bu1/bu1-query',
    'am chrole am://user/hpe/bu1/bob -r am://role/hpe/bu1/bu1-query',
  ).action(async (arg: string, o: { add?: string[]; remove?: string[] }) => {
    const c = ctx();
    const path = treePath(arg);
    if (!o.add?.length && !o.remove?.length) throw new CliError('nothing to do: give roles with -a and/or -r');
    for (const r of [...(o.add ?? []), ...(o.remove ?? [])]) if (!/^am:\/\/role\/[^\s#]+$/.test(r)) throw new CliError(`invalid role ${r}`);
    const gw = await c.gateway();
    const { body: details } = await gw.request<NodeView>('GET', nodeUrl(path));
    for (const role of o.add ?? []) {
      if (details.roles.some((a) => a.role === role)) throw new CliError(`duplicate role ${role}`);
      await gw.request('POST', nodeUrl(path, 'annotations'), { body: { tag: 'applied-role', role } });
      c.print(`Added role ${role}`);
    }
    for (const role of o.remove ?? []) {
      const applied = details.roles.find((a) => a.role === role);
      if (!applied) {
        c.io.err(`note: ${role} is not applied directly to ${path}; skipped\n`);
        continue;
      }
      await gw.request('DELETE', nodeUrl(path, `annotations/applied-role/${applied.unique}`));
      c.print(`Removed role ${role}`);
    }
  });

  examples(
    program
      .command('chperm')
      .description('add or replace ACEs from JSON (-e), or delete ACEs by unique (-r)')
      .argument('<path>', 'the node the ACEs are on')
      .option('-e, --edit <json|@file|->', 'one ACE, a list, {"aces": [...]}, or the output of `am ls -l -d`')
      .option('-r, --remove <uniques>', 'comma-separated uniques of ACEs to delete', list)
      .option('--force', 'apply an ACE even though it takes away your own View of the node'),
    'am chperm am://data/hpe/bu1/special -e \'{"op":"READ","acls":[{"roles":["am://role/hpe/bu1/bu1-query"]}]}\'',
    'am chperm am://data/hpe -e \'{"op":"VIEW","permissions":[{"roles":["am://role/hpe/hpe-user"]}]}\'',
    'am ls -l -d am://data/hpe/bu1/special > aces.json   # edit, then:',
    'am chperm am://data/hpe/bu1/special -e @aces.json',
    'am chperm am://data/hpe/bu1/special -r 673547,982341',
  ).action(async (arg: string, o: { edit?: string; remove?: string[]; force?: boolean }) => {
    const c = ctx();
    const path = treePath(arg);
    if (o.edit === undefined && !o.remove?.length) throw new CliError('nothing to do: give ACEs with -e and/or uniques with -r');
    for (const u of o.remove ?? []) if (!/^\d+$/.test(u)) throw new CliError(`invalid format for unique ID: ${u}`);
    const aces = o.edit === undefined ? [] : parseAces(await readInput(c, o.edit));
    const gw = await c.gateway();
    for (const ace of aces) {
      const r = await gw
        .request<{ annotation: { unique: string; version: string; op?: string } }>('POST', nodeUrl(path, 'annotations'), { body: ace, query: { force: o.force ? 'true' : undefined } })
        .catch((err: Error) => {
          throw /repeat with force/.test(err.message) ? new CliError(`${err.message} (am chperm --force)`) : err;
        });
      const a = r.body.annotation;
      c.print(`Saved ${a.op ?? ace.op} ACE #ace-${a.unique} (version ${a.version})`);
    }
    for (const unique of o.remove ?? []) {
      await gw.request('DELETE', nodeUrl(path, `annotations/ace/${unique}`));
      c.print(`Removed ACE #ace-${unique}`);
    }
  });
}

async function create(c: Context, arg: string, kind: 'dir' | 'leaf'): Promise<void> {
  const path = treePath(arg);
  const gw = await c.gateway();
  if (kind === 'dir') c.print(`Creating directory at ${path}`);
  try {
    await gw.request('PUT', nodeUrl(path), { body: { kind } });
  } catch (err) {
    throw new CliError(`error creating object-path: ${(err as Error).message}`);
  }
  c.print(`Created ${path}`);
}

/** `-e` text: JSON itself, `@file`, or `-` for standard input. */
async function readInput(c: Context, value: string): Promise<string> {
  if (value === '-') {
    if (!c.io.readStdin) throw new CliError('no standard input to read');
    return c.io.readStdin();
  }
  if (value.startsWith('@')) {
    const file = value.slice(1).trim();
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return value;
}

export interface AceBody {
  tag: 'ace';
  op: string;
  local?: boolean;
  agent?: boolean;
  acls: { roles: string[] }[];
  unique?: string;
  version?: string;
  startMillis?: string;
  endMillis?: string;
}

const ACE_MEMBERS = new Set(['tag', 'op', 'local', 'agent', 'acls', 'permissions', 'roles', 'unique', 'version', 'startMillis', 'endMillis']);

/**
 * The ACEs of a chperm document (compat-rest §6.6): one ACE, a list, `{"aces": [...]}` or the
 * output of `am ls -l` (`{"Details": {"aces": [...]}}`); ACLs spelled `acls`, `permissions` or
 * `roles` (a list of role lists).
 */
export function parseAces(text: string): AceBody[] {
  let doc: unknown;
  try {
    doc = parseJsonKeepingInt64(text);
  } catch (err) {
    throw new CliError(`invalid ACE JSON: ${(err as Error).message}`);
  }
  const found: unknown[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(collect);
    if (!v || typeof v !== 'object') throw new CliError('invalid ACE JSON: expected an object or a list of ACEs');
    const o = v as Record<string, unknown>;
    if ('Details' in o || 'details' in o) return collect((o.Details ?? o.details ?? {}) as object);
    if ('aces' in o || 'path' in o) return collect(o.aces ?? []);
    found.push(o);
  };
  collect(doc);
  if (found.length === 0) throw new CliError('no ACE found in the JSON');
  return found.map((v) => toAce(v as Record<string, unknown>));
}

function toAce(o: Record<string, unknown>): AceBody {
  for (const k of Object.keys(o)) if (!ACE_MEMBERS.has(k)) throw new CliError(`invalid permission format: unknown member "${k}"`);
  if (o.tag !== undefined && o.tag !== 'ace') throw new CliError(`invalid permission format: tag must be "ace", got ${JSON.stringify(o.tag)}`);
  const op = typeof o.op === 'number' ? OP_NAMES[o.op - 1] : typeof o.op === 'string' ? o.op.trim().toUpperCase() : undefined;
  if (!op || !(OP_NAMES as readonly string[]).includes(op)) throw new CliError(`invalid permission format: op must be one of ${OP_NAMES.join(', ')}`);
  const rawAcls = o.acls ?? o.permissions ?? o.roles ?? [];
  if (!Array.isArray(rawAcls)) throw new CliError('invalid permission format: ACLs must be a list');
  // `roles: ["a", "b"]` is one ACL; otherwise each element is an ACL ({roles: [...]} or a list).
  const aclList = rawAcls.length > 0 && rawAcls.every((r) => typeof r === 'string') && o.roles !== undefined ? [rawAcls] : rawAcls;
  const acls = aclList.map((acl: unknown) => {
    const roles = Array.isArray(acl) ? acl : (acl as { roles?: unknown })?.roles;
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw new CliError('invalid permission format: an ACL is a list of role paths');
    return { roles: roles as string[] };
  });
  const int = (name: string) => {
    const v = o[name];
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(String(v))) throw new CliError(`invalid permission format: ${name} must be an integer`);
    return String(v);
  };
  const bool = (name: string) => {
    const v = o[name];
    if (v !== undefined && typeof v !== 'boolean') throw new CliError(`invalid permission format: ${name} must be true or false`);
    return v as boolean | undefined;
  };
  return { tag: 'ace', op, local: bool('local'), agent: bool('agent'), acls, unique: int('unique'), version: int('version'), startMillis: int('startMillis'), endMillis: int('endMillis') };
}

/** `--output table` for ls: one line per node, indented by depth; -l adds the details. */
function printTree(c: Context, node: Listed, long: boolean, depth = 0): void {
  const indent = '  '.repeat(depth);
  if (!long || !node.details) {
    c.print(`${indent}${node.path}`);
  } else {
    const d = node.details;
    c.print(`${indent}${d.path}  (${d.isDirectory ? 'directory' : 'leaf'})`);
    const rows: string[][] = [];
    const when = (h: { startMillis: string; endMillis: string }) => windowText(h);
    for (const r of d.roles) rows.push(['role', r.role, `${ref(r)} ${when(r)}`.trim()]);
    for (const r of d.inheritedRoles) rows.push(['inherited role', r.role, '']);
    for (const a of d.aces) rows.push(['ace', `${a.op}${a.local ? ' local' : ''}${a.agent ? ' agent' : ''} ${aclText(a.acls)}`, `${ref(a)} ${when(a)}`.trim()]);
    for (const a of d.inheritedAces) rows.push(['inherited ace', `${a.op}${a.agent ? ' agent' : ''} ${aclText(a.acls)}`, '']);
    for (const a of d.annotations) rows.push(['annotation', a.data ? `${a.tag} = ${a.data.length > 60 ? `${a.data.slice(0, 57)}...` : a.data}` : a.tag, `${ref(a)} ${when(a)}`.trim()]);
    c.table(rows, `${indent}  `);
  }
  for (const child of node.children ?? []) printTree(c, child, long, depth + 1);
}
