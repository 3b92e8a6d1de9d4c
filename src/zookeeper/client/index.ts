export {
  CREATOR_ALL_ACL,
  digestAcl,
  digestOf,
  OPEN_ACL_UNSAFE,
  permsFromString,
  permsToString,
  READ_ACL_UNSAFE,
} from './acls.ts';
export { type ConnectString, parseConnectString, type ServerAddress } from './connect-string.ts';
export { type AcquireOptions, DistributedLock } from './distributed-lock.ts';
export { EphemeralRegistration } from './ephemeral-registration.ts';
export { EventQueue } from './event-queue.ts';
export { LeaderElection } from './leader-election.ts';
export { ensurePath, sequenceOf } from './sequential-queue.ts';
export {
  type ClientState,
  type ClientTimers,
  type CreateModeName,
  type CreateOptions,
  type MultiOperation,
  type MultiOperationResult,
  type PersistentWatchMode,
  type WatchEvent,
  type WatchListener,
  type WatchOption,
  ZooKeeperClient,
  type ZooKeeperClientOptions,
} from './zookeeper-client.ts';
export { type MultiOpError, ZooKeeperError } from './zookeeper-error.ts';
