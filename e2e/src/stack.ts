import { loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { gatewaySettings, startGateway } from '@apps/gateway';
import { identitySettings, startIdentity } from '@apps/identity';
import { pkiSettings, startPki } from '@apps/pki';
import { policySettings, startPolicy } from '@apps/policy';
import { runCli } from '@apps/cli';
import { randomBytes } from 'node:crypto';

export interface TestStack {
  infra: TestInfra;
  gatewayUrl: string;
  /** /metrics URLs of policy, identity, pki and gateway, in that order. */
  metricsUrls: string[];
  policy: Awaited<ReturnType<typeof startPolicy>>;
  /** The identity service: its ssh endpoint's port, and its signing keys (to forge hostile credentials). */
  identity: Awaited<ReturnType<typeof startIdentity>>;
  /** The gateway's AM_BOOTSTRAP_TOKEN: booting the empty store over REST needs it. */
  bootstrapToken: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** What the policy service boots into the empty store (default new_sample; `none` leaves it empty). */
  bootUniverse?: string;
  /** `false`: the gateway has no AM_BOOTSTRAP_TOKEN (boot over REST refused). */
  bootstrapToken?: false;
  /** `false`: policy as configured by default, refusing bare principal paths (the harness otherwise opts in). */
  demoIdentities?: false;
}

/** The whole system in this process: real etcd and NATS, the three backends, then the gateway. */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const infra = await TestInfra.start();
  try {
    const policy = infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: options.bootUniverse ?? 'new_sample', ...(options.demoIdentities === false ? { AM_ALLOW_DEMO_IDENTITIES: '' } : {}) }))));
    const identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const started = [policy, identity, infra.track(await startPki(loadConfig(pkiSettings, infra.env('pki'))))];
    const bootstrapToken = randomBytes(18).toString('base64url');
    const gateway = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway', options.bootstrapToken === false ? {} : { AM_BOOTSTRAP_TOKEN: bootstrapToken }))));
    const metricsUrls = [...started, gateway].map((s) => `http://127.0.0.1:${s.metricsPort}/metrics`);
    return { infra, gatewayUrl: `http://127.0.0.1:${gateway.port}`, metricsUrls, policy, identity, bootstrapToken, stop: () => infra.stop() };
  } catch (err) {
    await infra.stop();
    throw err;
  }
}

/** `am ...` in process against the stack's gateway, as `user`: the exit status and what it printed. */
export function amCli(stack: Pick<TestStack, 'gatewayUrl' | 'infra'>) {
  return async (user: string | undefined, ...argv: string[]) => {
    let out = '';
    let err = '';
    // AM_DATA_DIR: no local stack's bootstrap token to find (the CLI would read .am/keys/bootstrap-token).
    const env: NodeJS.ProcessEnv = { ACCESS_MANAGER_URL: stack.gatewayUrl, AM_DATA_DIR: stack.infra.dir, ...(user ? { AM_USER: user } : {}) };
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env, fetch });
    return { code, out, err, json: () => JSON.parse(out) };
  };
}
