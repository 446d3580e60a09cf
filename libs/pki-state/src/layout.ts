import { KeyLayout } from '@am/store';

/**
 * Where the pki domain keeps its data in etcd (all under `<prefix>pki/`):
 *
 * - `live/…` — what verifiers need, watched by every pki replica and the gateway (`PkiView`):
 *   `live/ca` (the CA chain, public), `live/crl` (the current CRL's number, times and signature),
 *   `live/revoked/<serial>`, `live/anchors/<fingerprint>` (external CAs with their mapping rule),
 *   `live/pinned/<fingerprint>` (self-signed client certificates registered on a principal).
 * - `keys/ca` — the CA private keys, sealed with the master key; read by the pki service only.
 * - `certs/<serial>` — one record per issued certificate (never watched: it grows with issuance).
 * - `events/<id>` — the immutable event log, each written in the transaction of its state.
 */
export class PkiLayout {
  readonly root: string;
  readonly live: string;
  readonly ca: string;
  readonly crl: string;
  readonly revokedPrefix: string;
  readonly anchorsPrefix: string;
  readonly pinnedPrefix: string;
  readonly caKeys: string;
  readonly certsPrefix: string;
  readonly eventsPrefix: string;

  constructor(keys: KeyLayout | string = new KeyLayout()) {
    this.root = (typeof keys === 'string' ? new KeyLayout(keys) : keys).domain('pki');
    this.live = `${this.root}live/`;
    this.ca = `${this.live}ca`;
    this.crl = `${this.live}crl`;
    this.revokedPrefix = `${this.live}revoked/`;
    this.anchorsPrefix = `${this.live}anchors/`;
    this.pinnedPrefix = `${this.live}pinned/`;
    this.caKeys = `${this.root}keys/ca`;
    this.certsPrefix = `${this.root}certs/`;
    this.eventsPrefix = `${this.root}events/`;
  }

  revoked(serialHex: string): string {
    return this.revokedPrefix + serialHex;
  }
  anchor(fingerprint: string): string {
    return this.anchorsPrefix + fingerprint;
  }
  pinned(fingerprint: string): string {
    return this.pinnedPrefix + fingerprint;
  }
  cert(serialHex: string): string {
    return this.certsPrefix + serialHex;
  }
  event(id: string): string {
    return this.eventsPrefix + id;
  }
}
