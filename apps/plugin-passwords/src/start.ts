import { loadConfig, type ConfigOf } from '@am/runtime';
import { IdentityPlugin } from '@am/plugin-sdk';
import { readFile } from 'node:fs/promises';
import { pluginSettings } from './config';
import { startLoginServer } from './server';
import { normalizeName, hashPassword, readUsers, writeUsers } from './users-file';

export { pluginSettings };
export type PluginConfig = ConfigOf<typeof pluginSettings>;

/** The plugin's own identity: a given credential (text or @file), else its ssh key. */
async function identityOf(config: PluginConfig) {
  if (config.PLUGIN_CREDENTIAL) {
    const given = config.PLUGIN_CREDENTIAL.startsWith('@') ? await readFile(config.PLUGIN_CREDENTIAL.slice(1), 'utf8') : config.PLUGIN_CREDENTIAL;
    return { credential: given.trim() };
  }
  if (!config.PLUGIN_SSH_KEY) throw new Error('set PLUGIN_SSH_KEY (the plugin logs in by ssh) or PLUGIN_CREDENTIAL');
  return {
    ssh: {
      host: config.AM_SSH_HOST,
      port: config.AM_SSH_PORT,
      principal: config.PLUGIN_PRINCIPAL,
      privateKey: await readFile(config.PLUGIN_SSH_KEY),
      ...(config.PLUGIN_SSH_HOST_FINGERPRINT ? { hostKeyFingerprint: config.PLUGIN_SSH_HOST_FINGERPRINT } : {}),
    },
  };
}

/** The password plugin: its login page and endpoint, vouching through the plugin SDK. */
export async function startPluginPasswords(config: PluginConfig = loadConfig(pluginSettings), log?: (line: Record<string, unknown>) => void) {
  const plugin = await IdentityPlugin.connect({
    nats: { servers: config.AM_NATS_URL, user: config.AM_NATS_USER, password: config.AM_NATS_PASSWORD },
    identity: await identityOf(config),
  });
  try {
    const server = await startLoginServer({
      plugin,
      usersFile: config.PLUGIN_USERS_FILE,
      principalTemplate: config.PLUGIN_PRINCIPAL_TEMPLATE,
      port: config.PLUGIN_PORT,
      host: config.PLUGIN_HOST,
      log,
    });
    return {
      port: server.port,
      async close() {
        await server.close();
        await plugin.close();
      },
    };
  } catch (err) {
    await plugin.close();
    throw err;
  }
}

/** `users add NAME [PRINCIPAL]` (password on stdin), `users remove NAME`, `users list`. Returns what to print. */
export async function usersCommand(file: string, args: string[], readPassword: () => Promise<string>): Promise<string> {
  const [verb, name, principal] = args;
  const users = await readUsers(file);
  switch (verb) {
    case 'add': {
      if (!name) throw new Error('usage: users add NAME [PRINCIPAL]  (password on stdin)');
      if (principal !== undefined && !/^am:\/\/(user|workload)\/./.test(principal)) throw new Error(`${principal} is not a principal path`);
      const n = normalizeName(name);
      const existed = users.has(n);
      users.set(n, { name: n, hash: await hashPassword(await readPassword()), ...(principal ? { principal } : {}) });
      await writeUsers(file, users);
      return `${existed ? 'updated' : 'added'} ${n}`;
    }
    case 'remove': {
      if (!name) throw new Error('usage: users remove NAME');
      const n = normalizeName(name);
      if (!users.delete(n)) throw new Error(`no user ${n}`);
      await writeUsers(file, users);
      return `removed ${n}`;
    }
    case 'list':
      return [...users.values()].map((u) => `${u.name}${u.principal ? ` ${u.principal}` : ''}`).join('\n');
    default:
      throw new Error('usage: users add NAME [PRINCIPAL] | users remove NAME | users list');
  }
}
