/**
 * The applicable ACEs of a node flattened into one Int32Array, so that a decision reads a single
 * contiguous array instead of chasing ACE objects. Layout:
 *   [0..7]  start offset of each operation's region (index op − 1), then the end offset;
 *   region  per ACE: aclCount, then per ACL: roleCount, roleIds…
 * An empty region means no ACE applies for that operation.
 */
import { ALL_OPERATIONS } from '@am/model';
import { AceTable } from './compiled-ace';

const HEADER = 8;
const programs = new WeakMap<AceTable, Int32Array>();

/** The program of a table; tables are shared between nodes, and so are their programs. */
export function programOf(table: AceTable): Int32Array {
  let program = programs.get(table);
  if (!program) {
    program = compile(table);
    programs.set(table, program);
  }
  return program;
}

function compile(table: AceTable): Int32Array {
  let size = HEADER;
  for (const op of ALL_OPERATIONS) for (const ace of table[op]) for (const acl of ace.acls) size += 1 + acl.length;
  for (const op of ALL_OPERATIONS) size += table[op].length;
  const program = new Int32Array(size);
  let at = HEADER;
  for (const op of ALL_OPERATIONS) {
    program[op - 1] = at;
    for (const ace of table[op]) {
      program[at++] = ace.acls.length;
      for (const acl of ace.acls) {
        program[at++] = acl.length;
        program.set(acl, at);
        at += acl.length;
      }
    }
  }
  program[HEADER - 1] = at;
  return program;
}

export function hasAces(program: Int32Array, op: number): boolean {
  return program[op - 1] !== program[op];
}

/** Every ACE of `op` satisfied by the role set marked with `stamp` in `marks`. */
export function programSatisfied(program: Int32Array, op: number, marks: Int32Array, stamp: number): boolean {
  let i = program[op - 1];
  const end = program[op];
  const limit = marks.length;
  while (i < end) {
    let acls = program[i++];
    while (acls-- > 0) {
      const len = program[i++];
      const stop = i + len;
      let found = false;
      for (; i < stop; i++) {
        const role = program[i];
        if (role < limit && marks[role] === stamp) {
          found = true;
          break;
        }
      }
      if (!found) return false;
      i = stop;
    }
  }
  return true;
}
