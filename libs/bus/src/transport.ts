import type { ConnectionOptions } from 'nats';

export interface NatsSettings {
  AM_NATS_URL: string[];
  AM_NATS_USER?: string;
  AM_NATS_PASSWORD?: string;
}

/** nats.js connection options shared by servers and clients. */
export function natsConnectionOptions(cfg: NatsSettings, name: string): ConnectionOptions {
  return {
    servers: cfg.AM_NATS_URL,
    name,
    ...(cfg.AM_NATS_USER ? { user: cfg.AM_NATS_USER, pass: cfg.AM_NATS_PASSWORD } : {}),
    // Keep reconnecting forever: a service outlives a NATS restart.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // nats.js captures an Error per request for async stack traces; on the hot path that costs more than it tells.
    noAsyncTraces: true,
  };
}
