#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runCli } from './program';

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A question on the terminal (stderr, so that stdout stays the command's output). */
const prompt = async (question: string): Promise<string> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
};

runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  outBytes: (b) => process.stdout.write(b),
  // stdout stays open after: other output may follow.
  outStream: (chunks) => pipeline(Readable.from(chunks), process.stdout, { end: false }),
  env: process.env,
  fetch,
  readStdin,
  prompt: process.stdin.isTTY && process.stderr.isTTY ? prompt : undefined,
}).then((code) => {
  process.exitCode = code;
});
