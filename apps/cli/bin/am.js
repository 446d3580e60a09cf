#!/usr/bin/env node
// `am` on the PATH (package.json "bin"): runs the built CLI from dist/, or says how to build it.
'use strict';
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..', '..', '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`Error: the am CLI is not built (${main} is missing); run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
require(main);
