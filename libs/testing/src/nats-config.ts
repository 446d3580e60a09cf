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
/** Plugin `<user>` receives replies only under `_INBOX.plugin.<user>` (the plugin SDK's default inbox prefix). */
export const PLUGIN_INBOX_PREFIX = '_INBOX.plugin';
/** A plugin's NATS user name is one subject token: its inbox is named after it (as @am/bus PLUGIN_USER_NAME). */
export const PLUGIN_USER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What each service's NATS user may publish and subscribe to, least privilege: it publishes its
 * own events (`am.events.<domain>.>`), the request subjects of the services it calls, and replies
 * on inboxes; it hears its own request subjects and its own replies. So a request whose reply
 * subject names an event or request subject cannot make a service publish there even if the
 * service tried (the bus server also drops such requests: libs/runtime isReplyInbox). No JetStream:
 * nothing uses it. Kept literal here (testing depends on nothing); the contracts are in libs/bus.
 */
export const SERVICE_PERMISSIONS: Record<'gateway' | 'policy' | 'identity' | 'pki', { publish: string[]; subscribe: string[] }> = {
  // The gateway calls every backend (and their health subjects); it serves nothing and emits no events.
  gateway: { publish: ['am.policy.>', 'am.identity.>', 'am.pki.>', '_INBOX.>'], subscribe: ['am.events.>', '_INBOX.>'] },
  // Policy calls nobody.
  policy: { publish: ['am.events.metadata.>', '_INBOX.>'], subscribe: ['am.policy.>', '_INBOX.>'] },
  // Identity asks policy (vouch, dataset-credential, delegation, ssh login decisions).
  identity: { publish: ['am.events.identity.>', 'am.policy.>', '_INBOX.>'], subscribe: ['am.identity.>', '_INBOX.>'] },
  // Pki asks policy (caller, vouch and certificate decisions).
  pki: { publish: ['am.events.pki.>', 'am.policy.>', '_INBOX.>'], subscribe: ['am.pki.>', '_INBOX.>'] },
};

/**
 * An identity plugin's NATS user (one per plugin): it may only ask to vouch and hear the replies
 * on its own inbox, so a plugin can neither call policy, pki or identity-internal subjects nor
 * listen to anyone's requests, events or replies, including other plugins' (which carry credentials).
 */
export function pluginPermissions(user: string): { publish: string[]; subscribe: string[] } {
  if (!PLUGIN_USER_NAME.test(user)) throw new Error(`plugin NATS user ${JSON.stringify(user)} must be 1-64 letters, digits, '-' or '_'`);
  return { publish: [PLUGIN_VOUCH_SUBJECT], subscribe: [`${PLUGIN_INBOX_PREFIX}.${user}.>`] };
}

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
