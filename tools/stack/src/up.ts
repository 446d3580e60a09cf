import { commonSettings } from '@am/runtime';
import { createEtcd, ensureEtcdAccess, etcdTlsOptions, ETCD_ROOT_USER } from '@am/store';
import { EtcdServer, ensureEtcdCertificates, launch, NatsServer, pluginPermissions, portOpen, SERVICE_NODE_FLAGS, SERVICE_PERMISSIONS, waitFor, type ManagedProcess } from '@am/testing';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { alive, readRunFile, removeRunFile, terminate, writeRunFile } from './run-file';
import { loadOrCreateSecrets, type StackService } from './secrets';
import type { StackConfig } from './settings';

export interface UpOptions {
  root: string;
  detach: boolean;
  say: (line: string) => void;
}

const SERVICES: StackService[] = ['policy', 'identity', 'pki', 'gateway'];

/**
 * Brings up the local stack: etcd and NATS on loopback with data under AM_DATA_DIR, then the four
 * services from dist/ (built by the caller), and waits until the gateway reports ready.
 * In the foreground, Ctrl-C stops everything; with `detach`, `down` stops it later.
 */
export async function up(cfg: StackConfig, opts: UpOptions): Promise<void> {
  const dataDir = resolve(opts.root, cfg.AM_DATA_DIR);
  const previous = await readRunFile(dataDir);
  if (previous && previous.processes.some((p) => alive(p.pid))) {
    throw new Error(`a stack is already running from ${dataDir} (gateway ${previous.gatewayUrl}); stop it with: npm run down`);
  }
  await removeRunFile(dataDir);

  const etcdUrl = new URL(cfg.AM_ETCD_URLS[0]);
  const natsUrl = new URL(cfg.AM_NATS_URL[0]);
  const etcdPort = Number(etcdUrl.port);
  const metricsPorts = Object.fromEntries(SERVICES.map((s, i) => [s, cfg.AM_METRICS_PORT + (s === 'gateway' ? 0 : i + 1)])) as Record<StackService, number>;
  const ports: [string, number][] = [
    ['AM_ETCD_URLS (etcd client port)', etcdPort],
    ['AM_ETCD_URLS (etcd peer port = client port + 1)', etcdPort + 1],
    ['AM_NATS_URL', Number(natsUrl.port)],
    ['AM_GATEWAY_PORT', cfg.AM_GATEWAY_PORT],
    ['AM_GATEWAY_TLS_PORT', cfg.AM_GATEWAY_TLS_PORT],
    ['AM_SSH_PORT', cfg.AM_SSH_PORT],
    ...SERVICES.map((s) => [`AM_METRICS_PORT (${s} metrics)`, metricsPorts[s]] as [string, number]),
  ];
  for (const [what, port] of ports) {
    if (await portOpen(port)) throw new Error(`port ${port} is already in use (${what}); choose another with ${what.split(' ')[0]}`);
  }

  for (const d of ['etcd', 'nats', 'logs', 'run']) await mkdir(join(dataDir, d), { recursive: true, mode: 0o700 });
  const secrets = await loadOrCreateSecrets(dataDir, cfg.AM_NATS_PLUGIN_USERS);
  // The demo stack accepts bare principal paths as credentials unless told otherwise (the banner says so).
  const demoIdentities = process.env.AM_ALLOW_DEMO_IDENTITIES ?? 'true';
  const logs = join(dataDir, 'logs');
  const started: { name: string; stop(): Promise<void>; pid: number }[] = [];
  const stopAll = async () => {
    await stopInOrder(started.splice(0));
    await removeRunFile(dataDir);
  };

  try {
    // etcd speaks TLS only and authenticates every client by its certificate (CN = etcd user):
    // a bootstrap CA, etcd's server certificate and one client certificate per service and root,
    // made on first start under keys/etcd and kept.
    const etcdCerts = await ensureEtcdCertificates(join(dataDir, 'keys', 'etcd'), etcdServerNames(etcdUrl.hostname));
    opts.say(`starting etcd on https://${etcdUrl.host} (TLS, client certificates; data ${join(dataDir, 'etcd')})`);
    const etcd = await EtcdServer.start({
      dataDir: join(dataDir, 'etcd'),
      logFile: join(logs, 'etcd.log'),
      clientPort: etcdPort,
      peerPort: etcdPort + 1,
      host: etcdUrl.hostname,
      detached: opts.detach,
      tls: { server: etcdCerts.server, probe: etcdCerts.client(ETCD_ROOT_USER) },
    });
    started.push({ name: 'etcd', pid: etcd.pid!, stop: () => etcd.stop() });
    // Users, roles and `auth enable` on every start: also brings a data dir from before authentication in line.
    const root = createEtcd([etcd.url], etcdTlsOptions(etcdCerts.client(ETCD_ROOT_USER), { serverName: 'localhost' }));
    await ensureEtcdAccess(root, [commonSettings.AM_ETCD_PREFIX.default!]).finally(() => root.close());

    opts.say(`starting NATS with JetStream on nats://${natsUrl.host}`);
    const nats = await NatsServer.start({
      dir: join(dataDir, 'nats'),
      host: natsUrl.hostname,
      port: Number(natsUrl.port),
      detached: opts.detach,
      users: [
        ...(Object.keys(SERVICE_PERMISSIONS) as StackService[]).map((s) => ({ user: s, password: secrets.natsPasswords.get(s)!, ...SERVICE_PERMISSIONS[s] })),
        ...cfg.AM_NATS_PLUGIN_USERS.map((p) => ({ user: p, password: secrets.natsPasswords.get(p)!, ...pluginPermissions(p) })),
      ],
    });
    started.push({ name: 'nats', pid: nats.pid!, stop: () => nats.stop() });

    for (const service of SERVICES) {
      const etcdFiles = etcdCerts.client(service);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        NODE_ENV: process.env.NODE_ENV ?? 'development',
        AM_ETCD_URLS: etcd.url,
        // Only its own etcd certificate: its etcd user may touch only its own keys.
        AM_ETCD_CA_FILE: etcdFiles.caFile,
        AM_ETCD_CERT_FILE: etcdFiles.certFile,
        AM_ETCD_KEY_FILE: etcdFiles.keyFile,
        AM_NATS_URL: cfg.AM_NATS_URL.join(','),
        AM_NATS_USER: service,
        AM_NATS_PASSWORD: secrets.natsPasswords.get(service),
        AM_METRICS_PORT: String(metricsPorts[service]),
        AM_LOG_LEVEL: cfg.AM_LOG_LEVEL,
        AM_GATEWAY_PORT: String(cfg.AM_GATEWAY_PORT),
        AM_GATEWAY_TLS_PORT: String(cfg.AM_GATEWAY_TLS_PORT),
        AM_SSH_PORT: String(cfg.AM_SSH_PORT),
        AM_SSH_HOST_KEY: secrets.sshHostKeyFile,
        AM_MASTER_KEY_FILE: secrets.masterKeyFile,
        // Public: what the gateway and policy check identity's and pki's etcd records against.
        ...secrets.recordKeys,
        AM_BOOT_UNIVERSE: cfg.AM_BOOT_UNIVERSE,
        // The demo stack accepts bare principal paths as credentials (announced in the banner);
        // the services themselves refuse them unless told so.
        AM_ALLOW_DEMO_IDENTITIES: demoIdentities,
        // Only the gateway holds the bootstrap token.
        ...(service === 'gateway' ? { AM_BOOTSTRAP_TOKEN: secrets.bootstrapToken } : {}),
      };
      const proc: ManagedProcess = launch(process.execPath, [...SERVICE_NODE_FLAGS, join(opts.root, 'dist/apps', service, 'src/main.js')], {
        logFile: join(logs, `${service}.log`),
        env,
        detached: opts.detach,
      });
      started.push({ name: service, pid: proc.pid, stop: () => proc.stop() });
      void proc.exited.then((code) => {
        if (started.some((s) => s.pid === proc.pid)) opts.say(`${service} exited (status ${code}); see ${join(logs, `${service}.log`)}`);
      });
    }

    const gatewayUrl = `http://127.0.0.1:${cfg.AM_GATEWAY_PORT}`;
    opts.say('waiting for the services to be ready');
    await waitFor('the gateway to report ready', async () => (await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).ok, 60_000, 200).catch(
      async (err: Error) => {
        throw new Error(`${err.message}\n${await lastLines(logs)}`);
      },
    );
    await writeRunFile(dataDir, {
      startedAt: new Date().toISOString(),
      detached: opts.detach,
      processes: started.map(({ name, pid }) => ({ name, pid })),
      gatewayUrl,
    });

    opts.say('');
    opts.say(`Access Manager is up.`);
    opts.say(`  gateway   ${gatewayUrl}   (try: curl ${gatewayUrl}/readyz)`);
    opts.say(`  https     https://127.0.0.1:${cfg.AM_GATEWAY_TLS_PORT}   (mTLS; the CA chain: curl ${gatewayUrl}/v1/pki/ca)`);
    opts.say(`  ssh       port ${cfg.AM_SSH_PORT}   (ssh -l am://user/the-operator -p ${cfg.AM_SSH_PORT} localhost)`);
    opts.say(`  metrics   http://127.0.0.1:${metricsPorts.gateway}/metrics (policy ${metricsPorts.policy}, identity ${metricsPorts.identity}, pki ${metricsPorts.pki})`);
    opts.say(`  etcd      ${etcd.url} (client certificates in ${etcdCerts.dir}; root: client-root.crt)   NATS ${natsUrl.href.replace(/\/$/, '')}`);
    opts.say(
      `  plugins   NATS users ${cfg.AM_NATS_PLUGIN_USERS.map((p) => `"${p}"`).join(', ')} (passwords in ${join(dataDir, 'keys', 'nats-passwords.json')}): may only publish am.identity.vouch`,
    );
    opts.say(`  data      ${dataDir}   logs ${logs}`);
    opts.say(`  universe  AM_BOOT_UNIVERSE=${cfg.AM_BOOT_UNIVERSE} (booted by the policy service when the store is empty)`);
    if (demoIdentities === 'true') {
      opts.say('  DEMO      demonstration identities are ON: a bare principal path is accepted as a credential (never in production; AM_ALLOW_DEMO_IDENTITIES=false npm run up turns them off)');
    }
    opts.say(`  boot      over REST with the bootstrap token in ${secrets.bootstrapTokenFile} (am boot on this host reads it)`);
    opts.say(opts.detach ? 'Running in the background; stop it with: npm run down' : 'Press Ctrl-C to stop.');
  } catch (err) {
    await stopAll();
    throw err;
  }

  if (opts.detach) return;
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      opts.say('stopping...');
      void stopAll().then(resolveStop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  opts.say('stopped');
}

/** The names etcd's server certificate is valid for: loopback, and the configured host. */
function etcdServerNames(host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[');
  const bare = host.replace(/^\[|\]$/g, '');
  return {
    dnsNames: [...new Set(['localhost', ...(ip ? [] : [bare])])],
    ipAddresses: [...new Set(['127.0.0.1', ...(ip ? [bare] : [])])],
  };
}

/** The services together (they do not depend on each other), then NATS, then etcd last. */
async function stopInOrder(processes: { name: string; stop(): Promise<void> }[]): Promise<void> {
  const infra = ['nats', 'etcd'];
  await Promise.all(processes.filter((p) => !infra.includes(p.name)).map((p) => p.stop()));
  for (const name of infra) await processes.find((p) => p.name === name)?.stop();
}

async function lastLines(logDir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ['etcd', 'nats', ...SERVICES]) {
    const text = await readFile(join(logDir, `${name}.log`), 'utf8').catch(() => '');
    const tail = text.trim().split('\n').slice(-3).join('\n  ');
    if (tail) parts.push(`${name}.log:\n  ${tail}`);
  }
  return parts.join('\n');
}

export async function down(cfg: StackConfig, opts: { root: string; say: (line: string) => void }): Promise<void> {
  const dataDir = resolve(opts.root, cfg.AM_DATA_DIR);
  const run = await readRunFile(dataDir);
  if (!run) {
    opts.say(`no stack is running from ${dataDir}`);
    return;
  }
  await stopInOrder(
    run.processes.map((p) => ({
      ...p,
      stop: async () => {
        if (alive(p.pid)) opts.say(`stopping ${p.name} (pid ${p.pid})`);
        await terminate(p.pid);
      },
    })),
  );
  await removeRunFile(dataDir);
  opts.say('stopped');
}
