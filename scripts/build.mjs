#!/usr/bin/env node
// Compiles every app, library, tool and benchmark to dist/ (same layout as the sources) with swc:
// CommonJS, Nest decorator metadata, and @am/* aliases rewritten to relative requires.
// Type checking is a separate step (`npm run typecheck`); this stays fast enough to run on every `up`.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const swcBase = require('../swc.jest.cjs');
const { compilerOptions } = JSON.parse(
  (await import('node:fs')).readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'),
);

async function* sources(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

// swc mis-resolves a wildcard in the middle of a target (apps/*/src/start.ts): spell each app out.
const paths = { ...compilerOptions.paths };
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  if (!alias.endsWith('/*') || !target.includes('/*/')) continue;
  delete paths[alias];
  const base = target.slice(0, target.indexOf('/*/'));
  for (const name of await readdir(path.join(root, base))) paths[alias.replace('*', name)] = [target.replace('*', name)];
}

const options = {
  ...swcBase,
  sourceMaps: true,
  jsc: { ...swcBase.jsc, baseUrl: root, paths },
};

const roots = [];
for (const group of ['apps', 'libs', 'tools']) {
  for (const name of await readdir(path.join(root, group))) roots.push(path.join(root, group, name, 'src'));
}
roots.push(path.join(root, 'bench'));

/**
 * Test suites build in parallel with processes that run dist/ (several Nx projects at once): a
 * file is replaced by rename, so a reader sees the old or the new file, never a half-written one.
 */
async function writeAtomically(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

let count = 0;
const jobs = [];
for (const r of roots) {
  for await (const file of sources(r)) {
    jobs.push(
      (async () => {
        const out = path.join(root, 'dist', path.relative(root, file)).replace(/\.ts$/, '.js');
        const { code, map } = await transformFile(file, { ...options, filename: file, sourceFileName: path.relative(path.dirname(out), file) });
        await mkdir(path.dirname(out), { recursive: true });
        await writeAtomically(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
        if (map) await writeAtomically(`${out}.map`, map);
        count++;
      })(),
    );
  }
}
await Promise.all(jobs);
console.log(`built ${count} files into dist/`);
