/**
 * nats-server configuration for the Access Manager: loopback listener, JetStream on, and one NATS
 * user per service so that no two parts share a password and permissions can be narrowed per user.
 */
export interface NatsUser {
  user: string;
  password: string;
  publish: string[];
  subscribe: string[];
}

/** The one subject identity plugins may publish to (libs/bus vouchContract; kept literal here: testing depends on nothing). */
export const PLUGIN_VOUCH_SUBJECT = 'am.identity.vouch';
/** Plugins receive replies only on inboxes under this prefix (the plugin SDK sets it as its inbox prefix). */
export const PLUGIN_INBOX_PREFIX = '_INBOX.plugin';

/**
 * What each NATS user may publish and subscribe to. The services talk on am.>; `plugin` is the
 * user of identity plugins: it may only ask to vouch and hear its own replies, so a plugin can
 * neither call policy, pki or identity-internal subjects nor listen to anyone's requests or events.
 */
export const SERVICE_PERMISSIONS: Record<'gateway' | 'policy' | 'identity' | 'pki' | 'plugin', { publish: string[]; subscribe: string[] }> = {
  gateway: { publish: ['am.>', '_INBOX.>'], subscribe: ['am.events.>', '_INBOX.>'] },
  policy: { publish: ['am.>', '_INBOX.>', '$JS.API.>'], subscribe: ['am.>', '_INBOX.>'] },
  identity: { publish: ['am.>', '_INBOX.>', '$JS.API.>'], subscribe: ['am.>', '_INBOX.>'] },
  pki: { publish: ['am.>', '_INBOX.>', '$JS.API.>'], subscribe: ['am.>', '_INBOX.>'] },
  plugin: { publish: [PLUGIN_VOUCH_SUBJECT], subscribe: [`${PLUGIN_INBOX_PREFIX}.>`] },
};

export function renderNatsConfig(options: { host: string; port: number; storeDir: string; users: NatsUser[]; monitorPort?: number }): string {
  const q = (s: string) => JSON.stringify(s);
  const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;
  const users = options.users
    .map(
      (u) =>
        `    { user: ${q(u.user)}, password: ${q(u.password)}, permissions: { publish: ${list(u.publish)}, subscribe: ${list(u.subscribe)} } }`,
    )
    .join('\n');
  return [
    `host: ${q(options.host)}`,
    `port: ${options.port}`,
    ...(options.monitorPort ? [`http: ${q(`${options.host}:${options.monitorPort}`)}`] : []),
    `jetstream { store_dir: ${q(options.storeDir)}, max_memory_store: 64MB, max_file_store: 1GB }`,
    'authorization {',
    '  users: [',
    users,
    '  ]',
    '}',
    '',
  ].join('\n');
}
