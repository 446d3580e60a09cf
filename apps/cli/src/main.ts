#!/usr/bin/env node
import { runCli } from './program';

runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  fetch,
}).then((code) => {
  process.exitCode = code;
});
