/** Shared test helpers: the reference universes as engines, and a fixed clock. */
import { AccessEngine, Result } from '@am/engine';
import { Annotation, Operation, parseUniverse, parseUniverseText, seededRandom, Universe } from '@am/model';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const NOW = 1_750_000_000_000;

const FIXTURES = path.resolve(__dirname, '../../../fixtures/hpe-universes');

export function fixtureUniverse(name: 'bootstrap' | 'new_sample'): Universe {
  const text = readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8');
  return parseUniverseText(text, { renumberDuplicates: true, random: seededRandom(42) }).universe;
}

export function fixtureEngine(name: 'bootstrap' | 'new_sample'): AccessEngine {
  return AccessEngine.fromUniverse(fixtureUniverse(name), { random: seededRandom(7) });
}

/** Builds an engine from a compact universe JSON (roots added when missing). */
export function engineFromJson(json: unknown): AccessEngine {
  return AccessEngine.fromUniverse(parseUniverse(json, { random: seededRandom(42) }).universe, { random: seededRandom(7) });
}

export function errorOf<T>(r: Result<T>): { code: string; message: string } {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return { code: r.error.code, message: r.error.message };
}

export function valueOf<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

type Header = { unique?: bigint; version?: number; startMillis?: number; endMillis?: number };
const header = (h: Header) => ({ unique: h.unique ?? 0n, version: h.version ?? 0, startMillis: h.startMillis ?? 0, endMillis: h.endMillis ?? 0 });

export function note(data: string, h: Header & { tag?: string } = {}): Annotation {
  return { tag: h.tag ?? 'note', ...header(h), data };
}

export function appliedRole(role: string, h: Header = {}): Annotation {
  return { tag: 'applied-role', ...header(h), role };
}

export function aceOf(op: Operation, acls: string[][], h: Header & { local?: boolean; agent?: boolean } = {}): Annotation {
  return { tag: 'ace', ...header(h), op, local: h.local ?? false, agent: h.agent ?? false, acls: acls.map((roles) => ({ roles })) };
}
