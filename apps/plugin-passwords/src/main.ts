import { ConfigError, loadConfig } from '@am/runtime';
import { pluginSettings, startPluginPasswords, usersCommand } from './start';

/** First line of stdin (the password: never a command-line argument, which other users can see). */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'users') {
    const file = process.env.PLUGIN_USERS_FILE || './users.txt';
    console.log(await usersCommand(file, argv.slice(1), readStdinLine));
    return;
  }
  if (argv.length && argv[0] !== 'serve') throw new Error('usage: plugin-passwords [serve] | users add NAME [PRINCIPAL] | users remove NAME | users list');
  const running = await startPluginPasswords(loadConfig(pluginSettings), (line) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line })));
  console.log(JSON.stringify({ msg: `password plugin listening on port ${running.port}` }));
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`plugin-passwords: ${err.message}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
