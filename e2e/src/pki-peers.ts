import { loadConfig } from '@am/runtime';
import { runProcess, TestInfra, type ProcessResult } from '@am/testing';
import { gatewaySettings, startGateway } from '@apps/gateway';
import { identitySettings, startIdentity } from '@apps/identity';
import { pkiSettings, startPki } from '@apps/pki';
import { policySettings, startPolicy } from '@apps/policy';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real peers (openssl, curl) as async child processes in a temporary directory: the services run
 * in this process, so a synchronous spawn would freeze the server the peer talks to.
 */
export class Peers {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Peers> {
    return new Peers(await mkdtemp(join(tmpdir(), 'am-mtls-')));
  }

  run(command: string, args: string[]): Promise<ProcessResult> {
    return runProcess(command, args, this.dir);
  }

  /** openssl; a non-zero status throws with its output. */
  async openssl(...args: string[]): Promise<string> {
    const r = await this.run('openssl', args);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }

  /** curl with `-w` appending the status on its own line; returns status and body. */
  async curl(url: string, ...args: string[]): Promise<{ status: number; body: string; json: any; exit: number | null; stderr: string }> {
    const r = await this.run('curl', ['-s', '-S', '-w', '\n%{http_code}', ...args, url]);
    const at = r.stdout.lastIndexOf('\n');
    const body = r.stdout.slice(0, at);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return { status: Number(r.stdout.slice(at + 1)), body, json, exit: r.status, stderr: r.stderr };
  }

  write(name: string, data: string | Buffer): Promise<void> {
    return writeFile(join(this.dir, name), data);
  }
  read(name: string): Promise<string> {
    return readFile(join(this.dir, name), 'utf8');
  }
  cleanup(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }

  /** A self-signed CA (not ours): `<name>.pem`, `<name>.key`. */
  async externalCa(name: string): Promise<string> {
    await this.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/O=Partner/CN=${name}`, '-days', '30',
      '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    return this.read(`${name}.pem`);
  }

  /** A leaf `<name>.pem`/`<name>.key` signed by `<ca>` with the given extension lines (e.g. EKU, SAN). */
  async leafFrom(ca: string, name: string, extensions: string[]): Promise<string> {
    await this.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    await this.write(`${name}.ext`, extensions.join('\n') + '\n');
    await this.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(1000 + Math.floor(Math.random() * 1e6)), '-days', '2',
      '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** The whole system in this process (as e2e/src/stack.ts), keeping the gateway's HTTPS port. */
export async function startPkiStack(gatewayEnv: Record<string, string> = {}) {
  const infra = await TestInfra.start();
  try {
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    infra.track(await startPki(loadConfig(pkiSettings, infra.env('pki'))));
    const gateway = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway', gatewayEnv))));
    await gateway.tlsReady;
    return {
      infra,
      gateway,
      url: `http://127.0.0.1:${gateway.port}`,
      tlsUrl: `https://127.0.0.1:${gateway.tlsPort}`,
      /** Another gateway on the same backends (e.g. with other TLS settings). */
      async extraGateway(env: Record<string, string>) {
        const g = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway', env))));
        await g.tlsReady;
        return g;
      },
      stop: () => infra.stop(),
    };
  } catch (err) {
    await infra.stop();
    throw err;
  }
}

/** JSON call on the plain HTTP listener as a demo identity (or with no credential). */
export async function api(base: string, method: string, path: string, opts: { as?: string; body?: unknown; raw?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(opts.as ? { authorization: `Bearer ${opts.as}` } : {}) };
  // `raw`: a JSON body sent byte for byte (malformed, hostile or too deep to stringify).
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, opts.headers);
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const buf = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json, text: buf.toString('utf8'), buf };
}
