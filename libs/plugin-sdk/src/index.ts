export { expiryOf, IdentityPlugin, PluginUnavailableError, pluginInboxPrefix, type PluginOptions } from './plugin';
export { fetchSshCredential, sshFingerprint, SshLoginError, type SshLogin } from './ssh-login';
export { PLUGIN_USER_NAME, type IssuedCredential } from '@am/bus';
// The typed errors a vouch can end in.
export { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError, UnavailableError, isAmError, type AmError } from '@am/model';
