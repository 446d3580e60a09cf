import type { Command } from 'commander';
import type { Context } from '../context';
import { examples } from '../context';
import { CliError } from '../errors';
import { list, treePath } from '../paths';
import { aclText, OP_NAMES } from './views';

/** Exit status of `am check` when the answer is "not allowed". */
export const DENIED_EXIT = 3;

function opName(op: string): string {
  const name = op.trim().toUpperCase();
  if (!(OP_NAMES as readonly string[]).includes(name)) throw new CliError(`unknown operation ${op}: use one of ${OP_NAMES.join(', ')}`);
  return name;
}

interface Explanation {
  agent: string;
  target: string;
  allowed: boolean;
  operations: {
    op: string;
    allowed: boolean;
    byDefault: string | null;
    aces: { side: string; attachment: string; attachedAt: string; unique: string; local: boolean; satisfied: boolean; acls: { roles: string[]; satisfied: boolean; satisfiedBy: string | null }[] }[];
  }[];
}

interface HistoryEvent {
  seq: number;
  time: string;
  actor: string;
  kind: string;
  path: string;
  before?: { tag: string; unique: string } | null;
  after?: { tag: string; unique: string; version: string } | null;
  removed?: string[];
  nodes?: number;
}

export function registerDecisionCommands(program: Command, ctx: () => Context): void {
  examples(
    program
      .command('check')
      .description(`may you (or --agent) do OP on PATH? Exit status 0 when allowed, ${DENIED_EXIT} when not`)
      .argument('<op>', `operation(s), comma-separated: ${OP_NAMES.join(', ')}`)
      .argument('<path>', 'the target')
      .option('--agent <principal>', 'ask about another principal (what you can see of it)')
      .option('--explain', 'show every ACE consulted and which role satisfied it')
      .option('--as-of <revision|time>', 'decide on the tree as it was then'),
    'am check READ am://data/hpe/bu1/hot-data',
    'am check READ,WRITE am://data/yoyodyne/daos1 --agent am://user/yoyodyne/bob --explain',
    'am --output table check ADMIN am://user/hpe/bu1/alice --explain',
  ).action(async (op: string, arg: string, o: { agent?: string; explain?: boolean; asOf?: string }) => {
    const c = ctx();
    const ops = list(op).map(opName);
    if (ops.length === 0) throw new CliError('give at least one operation');
    const target = treePath(arg);
    const agent = o.agent === undefined ? undefined : treePath(o.agent);
    const asOf = o.asOf === undefined ? undefined : /^\d+$/.test(o.asOf) ? Number(o.asOf) : o.asOf;
    const gw = await c.gateway();
    const r = await gw.request<{ allowed: boolean; agent: string; revision: number; explanation?: Explanation }>('POST', '/v1/check', {
      body: { target, ops, agent, explain: o.explain ? true : undefined, asOf },
    });
    const answer = r.body;
    if (c.output === 'table') {
      c.print(`${answer.allowed ? 'allowed' : 'not allowed'}: ${answer.agent} ${ops.join(',')} ${target}`);
      if (answer.explanation) printExplanation(c, answer.explanation);
    } else c.json(answer);
    if (!answer.allowed) throw new CliError(`not allowed: ${answer.agent} may not ${ops.join(',')} on ${target}`, DENIED_EXIT);
  });

  examples(
    program
      .command('who-can')
      .description('the principals that may do OP on PATH (among those you can see)')
      .argument('<op>', OP_NAMES.join(', '))
      .argument('<path>', 'the target')
      .option('--under <path>', 'only principals under this path'),
    'am who-can READ am://data/hpe/bu1/hot-data',
    'am who-can ADMIN am://user/hpe/bu1/bob --under am://user/hpe',
  ).action(async (op: string, arg: string, o: { under?: string }) => {
    const c = ctx();
    const gw = await c.gateway();
    const r = await gw.allPages<{ principals: string[] }>('/v1/who-can', 'principals', { query: { target: treePath(arg), op: opName(op), under: o.under && treePath(o.under) } });
    if (c.output === 'table') r.principals.forEach((p) => c.print(p));
    else c.json(r);
  });

  examples(
    program
      .command('what-can')
      .description('the paths on which PRINCIPAL may do OP (among those you can see)')
      .argument('<op>', OP_NAMES.join(', '))
      .argument('<principal>', 'the principal')
      .option('--under <path>', 'only paths under this one'),
    'am what-can READ am://user/yoyodyne/bob --under am://data',
    'am --output table what-can ADMIN am://user/hpe/bu1/alice',
  ).action(async (op: string, arg: string, o: { under?: string }) => {
    const c = ctx();
    const gw = await c.gateway();
    const r = await gw.allPages<{ paths: string[] }>('/v1/what-can', 'paths', { query: { principal: treePath(arg), op: opName(op), under: o.under && treePath(o.under) } });
    if (c.output === 'table') r.paths.forEach((p) => c.print(p));
    else c.json(r);
  });

  examples(
    program
      .command('history')
      .description('the changes made to a node (with -r, to its subtree), oldest first')
      .argument('<path>', 'the node')
      .option('-r, --recursive', 'include changes below the node')
      .option('--since <revision>', 'only events after this revision')
      .option('--limit <n>', 'only the first n events (without it: every event, page by page)'),
    'am history am://user/hpe/bu1/alice',
    'am --output table history -r am://data --since 120',
  ).action(async (arg: string, o: { recursive?: boolean; since?: string; limit?: string }) => {
    const c = ctx();
    if (o.since !== undefined && !/^\d+$/.test(o.since)) throw new CliError(`invalid revision for --since: ${o.since}`);
    if (o.limit !== undefined && !/^\d+$/.test(o.limit)) throw new CliError(`invalid --limit: ${o.limit}`);
    const gw = await c.gateway();
    const query = { path: treePath(arg), since: o.since, subtree: o.recursive ? 'true' : undefined };
    // --limit: the first n events only; otherwise every page.
    const body =
      o.limit !== undefined
        ? (await gw.request<{ events: HistoryEvent[]; revision: number; next?: string }>('GET', '/v1/history', { query: { ...query, limit: o.limit } })).body
        : await gw.allPages<{ events: HistoryEvent[]; revision: number }>('/v1/history', 'events', { query });
    if (c.output !== 'table') return c.json(body);
    c.table([
      ['SEQ', 'TIME', 'ACTOR', 'KIND', 'PATH', 'WHAT'],
      ...body.events.map((e) => [String(e.seq), e.time, e.actor, e.kind, e.path, eventWhat(e)]),
    ]);
  });
}

function eventWhat(e: HistoryEvent): string {
  if (e.after) return `#${e.after.tag}-${e.after.unique} v${e.after.version}`;
  if (e.before) return `#${e.before.tag}-${e.before.unique}`;
  if (e.removed) return `${e.removed.length} node(s)`;
  if (e.nodes !== undefined) return `${e.nodes} nodes`;
  return '';
}

function printExplanation(c: Context, x: Explanation): void {
  for (const op of x.operations) {
    c.print(`${op.op}: ${op.allowed ? 'allowed' : 'not allowed'}${op.byDefault ? ` (${op.byDefault})` : ''}`);
    for (const ace of op.aces) {
      const where = `${ace.side} ace #ace-${ace.unique} on ${ace.attachedAt} (${ace.attachment}${ace.local ? ', local' : ''})`;
      c.print(`  ${ace.satisfied ? 'satisfied    ' : 'not satisfied'}  ${where}`);
      for (const acl of ace.acls) c.print(`      ${aclText([acl])} ${acl.satisfied ? `satisfied by ${acl.satisfiedBy}` : 'not satisfied'}`);
    }
  }
}
