/** The operations of access-model §3. Internally numbers (array indexes), outside upper-case names. */
import { InvalidArgumentError } from './errors';

export const OPERATION_NAMES = ['INVALID', 'READ', 'WRITE', 'VIEW', 'ADMIN', 'USEROLE', 'APPLYROLE', 'VOUCHFOR'] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];

export const Op = {
  READ: 1,
  WRITE: 2,
  VIEW: 3,
  ADMIN: 4,
  USEROLE: 5,
  APPLYROLE: 6,
  VOUCHFOR: 7,
} as const;
/** A valid operation (1–7); INVALID (0) is never a valid Operation value. */
export type Operation = (typeof Op)[keyof typeof Op];
export const ALL_OPERATIONS: readonly Operation[] = [1, 2, 3, 4, 5, 6, 7];
export const OPERATION_COUNT = 8; // table size including the INVALID slot

/** Accepts a name in any case or a number 1–7; INVALID/0 and anything else → invalid-argument. */
export function parseOperation(input: unknown): Operation {
  if (typeof input === 'number' && Number.isInteger(input) && input >= 1 && input <= 7) return input as Operation;
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (/^[1-7]$/.test(trimmed)) return Number(trimmed) as Operation;
    const index = (OPERATION_NAMES as readonly string[]).indexOf(trimmed.toUpperCase());
    if (index >= 1) return index as Operation;
  }
  throw new InvalidArgumentError(`invalid operation ${JSON.stringify(input)}: expected one of ${OPERATION_NAMES.slice(1).join(', ')} or 1-7`);
}

export function operationName(op: Operation): OperationName {
  return OPERATION_NAMES[op];
}

/** "[READ WRITE]" — the list format of the dataset-credential error (§9.1). */
export function formatOperationList(ops: readonly Operation[]): string {
  return `[${ops.map(operationName).join(' ')}]`;
}
