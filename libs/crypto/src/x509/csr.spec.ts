import fc from 'fast-check';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { parseCsr } from './csr';
import { X509InputError } from './errors';
import { pemBlocks, toPem } from './pem';
import { EC_P256, OpensslDir, RSA_2048 } from './test-openssl';

describe('CSR parsing', () => {
  const dir = new OpensslDir();
  afterAll(() => dir.cleanup());
  const ecCsr = dir.csr('ec', EC_P256, ['-addext', 'subjectAltName=DNS:svc.example.com,IP:10.1.2.3,URI:am://workload/x']);
  const ecDer = pemBlocks(ecCsr)[0].der;

  it('reads an EC CSR from openssl req, with its requested SANs', () => {
    const csr = parseCsr(ecCsr);
    expect(csr.publicKeyInfo).toEqual({ type: 'ec', curve: 'P-256' });
    expect(csr.subject).toEqual([{ type: 'CN', value: 'ec' }]);
    expect(csr.requestedAltNames).toEqual({ uris: ['am://workload/x'], dnsNames: ['svc.example.com'], ipAddresses: ['10.1.2.3'], emails: [] });
    expect(parseCsr(ecDer).publicKeyInfo.type).toBe('ec');
  });

  it('reads an RSA-2048 CSR', () => {
    expect(parseCsr(dir.csr('rsa', RSA_2048)).publicKeyInfo).toEqual({ type: 'rsa', bits: 2048 });
  });

  it('reads an EC key with a compressed point (the DER import path, not the JWK fast path)', () => {
    dir.openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'plain.key');
    dir.openssl('ec', '-in', 'plain.key', '-conv_form', 'compressed', '-out', 'compressed.key');
    dir.openssl('req', '-new', '-key', 'compressed.key', '-subj', '/CN=c', '-out', 'compressed.csr');
    const csr = parseCsr(dir.read('compressed.csr'));
    expect(csr.publicKeyInfo).toEqual({ type: 'ec', curve: 'P-256' });
    expect(csr.publicKey.export({ format: 'jwk' })).toEqual(createPublicKey(dir.read('plain.key')).export({ format: 'jwk' }));
  });

  const expectRefused = (input: string | Buffer, message: RegExp, code?: string) => {
    let error: unknown;
    try {
      parseCsr(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(X509InputError);
    expect((error as Error).message).toMatch(message);
    if (code) expect((error as X509InputError).code).toBe(code);
  };

  it('refuses weak and unsupported keys and algorithms with a clear message', () => {
    expectRefused(dir.csr('rsa1024', ['-newkey', 'rsa:1024']), /RSA key of 1024 bits is too weak/, 'weak-key');
    expectRefused(dir.csr('p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521']), /unsupported EC curve secp521r1/, 'unsupported-key');
    expectRefused(dir.csr('k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']), /unsupported EC curve/, 'unsupported-key');
    expectRefused(dir.csr('ed', ['-newkey', 'ed25519']), /unsupported key type ed25519/, 'unsupported-key');
    expectRefused(dir.csr('sha1', [...RSA_2048, '-sha1']), /sha1WithRSAEncryption/, 'unsupported-algorithm');
  });

  it('refuses a CSR whose signature does not verify', () => {
    const tampered = Buffer.from(ecDer);
    tampered[tampered.length - 5] ^= 0x01;
    expectRefused(tampered, /does not verify|cannot verify/);
    // A valid structure whose subject was changed after signing.
    const renamed = Buffer.from(ecDer.toString('latin1').replace('\x0c\x02ec', '\x0c\x02EC'), 'latin1');
    expectRefused(toPem(renamed, 'CERTIFICATE REQUEST'), /does not verify/, 'bad-signature');
  });

  it('refuses garbage, truncated, empty, huge and mislabelled input without crashing', () => {
    expectRefused('hello', /no PEM block/);
    expectRefused(Buffer.from('not der at all'), /malformed DER/);
    expectRefused(ecDer.subarray(0, ecDer.length - 10), /malformed DER/);
    expectRefused(toPem(ecDer.subarray(0, 40), 'CERTIFICATE REQUEST'), /malformed DER/);
    expectRefused('', /empty/);
    expectRefused('A'.repeat(70 * 1024), /larger than 65536 bytes/, 'too-large');
    expectRefused(Buffer.concat([ecDer, Buffer.from([0])]), /trailing bytes/);
    expectRefused('-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n', /not base64/);
    expectRefused(42 as unknown as string, /PEM string or DER bytes/);
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectRefused(key.publicKey.export({ format: 'pem', type: 'spki' }) as string, /no PEM block/);
  });

  it('only ever throws X509InputError on arbitrary bytes and on mutated CSRs', () => {
    const onlyInputErrors = (input: Buffer) => {
      try {
        parseCsr(input);
      } catch (e) {
        if (!(e instanceof X509InputError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => onlyInputErrors(Buffer.from(bytes))), { numRuns: 500 });
    fc.assert(
      fc.property(fc.nat(ecDer.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = Buffer.from(ecDer);
        mutated[at] = value;
        onlyInputErrors(mutated);
      }),
      { numRuns: 500 },
    );
  });
});
