import { existsSync } from 'node:fs';
import { RecordVerifier, type RecordDomain } from '@am/crypto';
import { z } from 'zod';

/**
 * Environment configuration, validated once at start-up.
 *
 * Each setting names its canonical variable and, where the reference implementation used a
 * different name, the aliases it also accepts (AM_GatewayPort, AM_MetadataUrls, ...). A bad value
 * stops the service with one line naming the variable, never a stack trace.
 */
export interface Setting<T> {
  schema: z.ZodType<T>;
  default?: string;
  aliases?: readonly string[];
  description: string;
}

export type Settings = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function setting<T>(schema: z.ZodType<T>, description: string, options: { default?: string; aliases?: readonly string[] } = {}): Setting<T> {
  return { schema, description, ...options };
}

export function loadConfig<S extends Settings>(settings: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings)) {
    const given = [name, ...(s.aliases ?? [])].filter((n) => env[n] !== undefined && env[n] !== '');
    const distinct = new Set(given.map((n) => env[n]));
    if (distinct.size > 1) {
      throw new ConfigError(name, `invalid configuration: ${given.join(' and ')} are both set and disagree; set only ${name}`);
    }
    const source = given[0] ?? name;
    const raw = given.length ? env[source] : s.default;
    const parsed = s.schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid value';
      const shown = raw === undefined ? 'it is not set' : `got ${JSON.stringify(raw)}`;
      throw new ConfigError(source, `invalid configuration: ${source} ${why} (${shown})`);
    }
    out[name] = parsed.data;
  }
  return out as ConfigOf<S>;
}

/** Renders the settings as a table for README / --help. */
export function describeSettings(settings: Settings): string[] {
  return Object.entries(settings).map(([name, s]) => {
    const alias = s.aliases?.length ? ` (alias ${s.aliases.join(', ')})` : '';
    const def = s.default !== undefined ? ` [default ${s.default}]` : '';
    return `${name}${alias}: ${s.description}${def}`;
  });
}

// Reusable value schemas: each takes the raw environment string.
export const port = z
  .string({ error: 'must be set' })
  .regex(/^\d{1,5}$/, 'must be a port number 0-65535 (0 = any free port)')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number 0-65535 (0 = any free port)');

export const host = z.string({ error: 'must be set' }).regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address');

export const urlList = (schemes: readonly string[]) =>
  z
    .string({ error: 'must be set' })
    .transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .refine((urls) => urls.length > 0, 'must list at least one URL')
    .refine(
      (urls) => urls.every((u) => {
        try {
          const parsed = new URL(u);
          return schemes.includes(parsed.protocol.replace(/:$/, '')) && parsed.port !== '' && !parsed.pathname.replace(/^\/$/, '');
        } catch {
          return false;
        }
      }),
      `must be comma-separated ${schemes.join('/')}://host:port URLs`,
    );

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const durationMs = (s: string) => {
  const [, n, unit] = DURATION.exec(s)!;
  return Number(n) * DURATION_UNITS[unit as keyof typeof DURATION_UNITS];
};

export const duration = z.string({ error: 'must be set' }).regex(DURATION, 'must be a duration like 500ms, 30s, 5m, 6h or 30d').transform(durationMs);

/** How long history is kept: `all` (undefined) or a duration. */
export const retention = z
  .string({ error: 'must be set' })
  .refine((s) => s === 'all' || DURATION.test(s), 'must be all or a duration like 90d')
  .transform((s) => (s === 'all' ? undefined : durationMs(s)));

export const positiveInt = z
  .string({ error: 'must be set' })
  .regex(/^[1-9]\d{0,8}$/, 'must be a whole number from 1')
  .transform(Number);

export const optionalString = z.string().optional();
export const bool = z
  .string({ error: 'must be set' })
  .regex(/^(true|false|1|0)$/i, 'must be true or false')
  .transform((s) => /^(true|1)$/i.test(s));

/** Universes shipped with the product, loadable by name. */
export const BUNDLED_UNIVERSES = ['new_sample', 'secure_sample', 'bootstrap'] as const;

/** What to boot into an empty store: a bundled universe, a universe file, or `none`. */
export const bootUniverse = z
  .string({ error: 'must be set' })
  .refine(
    (v) => (BUNDLED_UNIVERSES as readonly string[]).includes(v) || v === 'none' || existsSync(v),
    'must be new_sample, secure_sample, bootstrap, none or an existing universe file',
  );

/** A domain's public record key, `ed25519:<base64>` (see RecordVerifier). */
const recordKey = (domain: RecordDomain) =>
  z
    .string({ error: 'must be set (deploy/make-secrets writes it; npm run up sets it)' })
    .transform((v, ctx) => {
      try {
        return RecordVerifier.parse(domain, v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/**
 * What a verifier of etcd records needs (the gateway and policy): the public record keys of the
 * services that own them. Records not signed with them verify nothing; there is no default.
 */
export const recordKeySettings = {
  AM_IDENTITY_RECORD_KEY: setting(recordKey('identity'), "identity's public record key (ed25519:…): signing key records it did not sign are ignored"),
  AM_PKI_RECORD_KEY: setting(recordKey('pki'), "pki's public record key (ed25519:…): CA, trust anchor and pin records it did not sign are ignored"),
} as const;

/** Settings every service shares: where etcd and NATS are, and how it logs and exposes metrics. */
export const commonSettings = {
  AM_ETCD_URLS: setting(urlList(['http', 'https']), 'etcd client URLs, comma-separated', {
    default: 'http://127.0.0.1:2379',
    aliases: ['AM_MetadataUrls'],
  }),
  AM_ETCD_CA_FILE: setting(optionalString, 'CA certificate (PEM) that signed etcd\'s server certificate; with https:// etcd URLs'),
  AM_ETCD_CERT_FILE: setting(optionalString, 'client certificate (PEM) of this service for etcd; its CN is the etcd user'),
  AM_ETCD_KEY_FILE: setting(optionalString, 'private key (PEM) of AM_ETCD_CERT_FILE'),
  AM_ETCD_ALLOW_INSECURE: setting(bool, 'allow plain http:// etcd without a client certificate (development only; logged as a warning)', { default: 'false' }),
  AM_ETCD_PREFIX: setting(
    z.string().regex(/^\/[A-Za-z0-9/_-]*\/$/, 'must start and end with "/"'),
    'key prefix of all Access Manager data in etcd',
    { default: '/am/' },
  ),
  AM_NATS_URL: setting(urlList(['nats']), 'NATS server URLs, comma-separated', { default: 'nats://127.0.0.1:4222' }),
  AM_NATS_USER: setting(optionalString, 'NATS user name of this service (per-service users in the stack)'),
  AM_NATS_PASSWORD: setting(optionalString, 'NATS password of this service'),
  AM_METRICS_PORT: setting(port, 'Prometheus metrics port (GET /metrics)', { default: '2114', aliases: ['AM_MetricServerPort'] }),
  AM_METRICS_HOST: setting(host, 'address the metrics server binds to', { default: '127.0.0.1' }),
  AM_LOG_LEVEL: setting(logLevel, 'log level', { default: 'info', aliases: ['LOG_LEVEL'] }),
} as const;
