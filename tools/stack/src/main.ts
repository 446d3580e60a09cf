import { ConfigError } from '@am/runtime';
import { join } from 'node:path';
import { loadStackConfig } from './settings';
import { down, up } from './up';

const USAGE = `usage: npm run up [-- --detach]     start etcd, NATS and the four services (Ctrl-C stops them)
       npm run down                  stop a stack started with --detach

environment: AM_DATA_DIR (.am), AM_BOOT_UNIVERSE (new_sample|bootstrap|none|FILE), AM_GATEWAY_PORT (8080), AM_GATEWAY_TLS_PORT (8443),
             AM_SSH_PORT (2222), AM_METRICS_PORT (2114), AM_ETCD_URLS (http://127.0.0.1:2379; etcd is served there over TLS, https),
             AM_NATS_URL (nats://127.0.0.1:4222), AM_NATS_PLUGIN_USERS (plugin: one NATS user per identity plugin),
             AM_LOG_LEVEL (info)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  if (command === '--help' || command === '-h' || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const unknown = flags.filter((f) => f !== '--detach');
  if (!['up', 'down'].includes(command) || unknown.length) {
    process.stderr.write(`unknown ${unknown.length ? `option ${unknown[0]}` : `command ${command}`}\n${USAGE}\n`);
    return 2;
  }
  const root = join(__dirname, '..', '..', '..', '..');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const cfg = loadStackConfig();
  if (command === 'down') await down(cfg, { root, say });
  else await up(cfg, { root, detach: flags.includes('--detach'), say });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? '' : 'stack: '}${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
