import { ConfigError, loadConfig } from '@am/runtime';
import { pluginSettings, startPluginPasswords, usersCommand } from './start';

/** First line of stdin (the password: never a command-line argument, which other users can see). */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

const USAGE = `usage: plugin-passwords [serve]                      run the login endpoint (POST /api/login)
       plugin-passwords users add NAME [PRINCIPAL]    add or replace a user; the password is read from stdin
       plugin-passwords users remove NAME
       plugin-passwords users list

Settings come from the environment: PLUGIN_USERS_FILE (default ./users.txt), PLUGIN_PORT (8082),
PLUGIN_SSH_KEY or PLUGIN_CREDENTIAL (how the plugin proves who it is), AM_NATS_URL, AM_NATS_USER,
AM_NATS_PASSWORD; apps/plugin-passwords/README.md lists them all.`;

async function main(argv: string[]): Promise<void> {
  if (['--help', '-h', 'help'].includes(argv[0])) {
    console.log(USAGE);
    return;
  }
  if (argv[0] === 'users') {
    const file = process.env.PLUGIN_USERS_FILE || './users.txt';
    console.log(await usersCommand(file, argv.slice(1), readStdinLine));
    return;
  }
  if (argv.length && argv[0] !== 'serve') throw new Error(`unknown command ${JSON.stringify(argv[0])}\n${USAGE}`);
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
