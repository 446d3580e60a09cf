import { certificateCredential, rejectionMessage, type CredentialAttestor } from '@am/auth';
import { pemBlocks } from '@am/crypto';
import type { PkiView } from '@am/pki-state';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { problemFor } from '../http/errors';
import { sendProblem, type RouteSpec } from '../http/route';

/** Re-attest a connection's certificate at most this often (the backends accept 60 s). */
const ATTESTATION_REUSE_MS = 20_000;
const MAX_INTERMEDIATES = 4;
/** Bounds on a passthrough header before parsing. */
const MAX_PROXY_HEADER = 64 * 1024;

interface Presented {
  leaf: Buffer;
  intermediates: Buffer[];
}

type Verdict = { ok: true; principal: string } | { ok: false; message: string };

interface SocketState {
  revision: number;
  presented?: Presented;
  verdict?: Verdict;
  credential?: { value: string; at: number; attestor: CredentialAttestor };
}

export interface ClientAuthOptions {
  view: PkiView;
  /** The gateway's current TLS certificate and key (undefined until the pki issued one). */
  attestor: () => CredentialAttestor | undefined;
  /** Addresses of TLS-terminating proxies whose Ssl-Client-Cert / Ssl-Client-Verify headers are trusted. */
  proxies: readonly string[];
  /** The v1 routes; those with `auth` need a caller, and get a 401 with the reason when the certificate is refused. */
  routes: readonly RouteSpec[];
}

/**
 * Client certificates as callers. For a request on the HTTPS listener that presented a client
 * certificate (or, from a configured proxy, `Ssl-Client-Verify: SUCCESS` with `Ssl-Client-Cert`),
 * the certificate is verified with the live PKI view (chain to the PKI or a trusted external CA or
 * a pinned fingerprint, EKU clientAuth, validity, revocation — a revocation applies to open
 * connections as soon as the view sees it) and replaces any Authorization header with a
 * certificate credential attested by the gateway's TLS key; the backends verify it all again.
 * A refused or missing certificate on a route that needs a caller is a 401 naming the reason.
 */
export function registerClientCertificateAuth(app: FastifyInstance, options: ClientAuthOptions): void {
  const proxies = new Set(options.proxies.map(normalizeAddress));
  const needsCaller = new Set(options.routes.filter((r) => r.auth).map((r) => `${r.method} ${r.url}`));
  const sockets = new WeakMap<Socket, SocketState>();
  const { view } = options;

  const refuse = (reply: FastifyReply, detail: string) => sendProblem(reply, problemFor('unauthenticated', detail));

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const socket = req.raw.socket;
    const tls = (socket as TLSSocket).encrypted === true;
    const routeNeedsCaller = needsCaller.has(`${req.method} ${req.routeOptions.url}`);
    // A certificate credential is made here from a handshake; a client cannot send one.
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string' && /^\s*bearer\s+x509:/i.test(authorization)) {
      return refuse(reply, 'certificate credentials cannot be sent in Authorization: present the client certificate in the TLS handshake');
    }

    let state: SocketState | undefined;
    let presented: Presented | undefined;
    const fromProxy = proxies.size > 0 && proxies.has(normalizeAddress(socket.remoteAddress ?? ''));
    if (fromProxy && req.headers['ssl-client-verify'] === 'SUCCESS' && typeof req.headers['ssl-client-cert'] === 'string') {
      const parsed = proxyCertificate(req.headers['ssl-client-cert']);
      if ('error' in parsed) return routeNeedsCaller ? refuse(reply, `client certificate rejected (malformed): ${parsed.error}`) : undefined;
      presented = parsed;
      state = { revision: -1 };
    } else if (tls) {
      state = sockets.get(socket);
      if (!state) {
        state = { revision: -1, presented: peerCertificate(socket as TLSSocket) };
        sockets.set(socket, state);
      }
      presented = state.presented;
    }

    if (!presented) {
      if (tls && routeNeedsCaller && authorization === undefined) {
        return refuse(reply, 'no client certificate presented and no Authorization header: this route needs a caller');
      }
      return undefined;
    }
    // Verified again whenever the trust state moved (revocations, trust store, CA), so an open
    // connection loses its caller as soon as its certificate is revoked.
    if (!state!.verdict || state!.revision !== view.revision || (state!.verdict.ok && state!.credential && Date.now() > state!.credential.at + ATTESTATION_REUSE_MS)) {
      state!.revision = view.revision;
      const v = view.verify(presented.leaf, { intermediates: presented.intermediates });
      state!.verdict = v.ok ? { ok: true, principal: v.principal } : { ok: false, message: rejectionMessage(v) };
    }
    const verdict = state!.verdict;
    if (!verdict.ok) return routeNeedsCaller ? refuse(reply, verdict.message) : undefined;

    const attestor = options.attestor();
    if (!attestor) return sendProblem(reply, problemFor('unavailable', 'the gateway has no TLS certificate from the pki yet'));
    const now = Date.now();
    let credential = state!.credential;
    if (!credential || credential.attestor !== attestor || now - credential.at > ATTESTATION_REUSE_MS) {
      credential = { value: certificateCredential(attestor, presented.leaf, presented.intermediates, now), at: now, attestor };
      state!.credential = credential;
    }
    req.headers.authorization = `Bearer ${credential.value}`;
    return undefined;
  });
}

/** The leaf and the intermediates the client sent, or undefined without a client certificate. */
function peerCertificate(socket: TLSSocket): Presented | undefined {
  const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  if (!peer || !peer.raw || peer.raw.length === 0) return undefined;
  const intermediates: Buffer[] = [];
  for (let c = peer.issuerCertificate; c && c !== peer && c.raw && intermediates.length < MAX_INTERMEDIATES; c = c.issuerCertificate) {
    if (intermediates.some((d) => d.equals(c.raw))) break;
    intermediates.push(c.raw);
    if (c.issuerCertificate === c) break;
  }
  return { leaf: peer.raw, intermediates };
}

/** `Ssl-Client-Cert`: URL-encoded PEM (nginx's $ssl_client_escaped_cert), leaf first. */
function proxyCertificate(header: string): Presented | { error: string } {
  if (header.length > MAX_PROXY_HEADER) return { error: 'Ssl-Client-Cert is too large' };
  try {
    const blocks = pemBlocks(decodeURIComponent(header)).filter((b) => b.label === 'CERTIFICATE');
    if (!blocks.length) return { error: 'Ssl-Client-Cert holds no PEM certificate' };
    return { leaf: blocks[0].der, intermediates: blocks.slice(1, 1 + MAX_INTERMEDIATES).map((b) => b.der) };
  } catch (err) {
    return { error: `Ssl-Client-Cert is not URL-encoded PEM (${(err as Error).message})` };
  }
}

const normalizeAddress = (a: string) => (a.startsWith('::ffff:') ? a.slice(7) : a);
