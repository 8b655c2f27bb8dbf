/**
 * The broker's public surface: what a program embedding the broker needs (start it, configure
 * it, give it users) — the rest of src/ is internal. The CLI (cli.ts) is the composition root.
 */
export type { CredentialStore, CredentialsFile, UserEntry } from './auth/credentials.js';
export {
  FileCredentialStore,
  parseCredentials,
  ReloadableCredentialStore,
  readCredentialsFile,
  writeCredentialsFile,
} from './auth/credentials.js';
export type { Identity, Role } from './auth/identity.js';
export { hashPassword, verifyPassword } from './auth/password-hash.js';
export { type BrokerDeps, type RunningBroker, startBroker } from './broker.js';
export {
  type BrokerConfig,
  DEFAULT_LIMITS,
  emptyConfig,
  type Limits,
  loadConfigFile,
  resolveConfig,
  validateConfig,
} from './config.js';
export type { Address, ListenerName } from './connection/listeners.js';
export { BrokerError, type BrokerErrorCode } from './errors.js';
export type { ClientInfo } from './http/http-api.js';
export { DiskPersistenceError, type DiskSync } from './persistence/disk-store.js';
