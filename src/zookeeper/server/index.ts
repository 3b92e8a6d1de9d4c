export { type AuthId, digestId } from './acl.ts';
export { ADMIN_COMMAND_NAMES, AdminServer, runAdminCommand, toAdminJson } from './admin-server.ts';
export { DataTree, statOf, type Txn, type TxnHeader, type ZNode } from './data-tree.ts';
export { answerFourLetterWord, ZOOKEEPER_COMPAT_VERSION } from './four-letter-commands.ts';
export { sessionPassword } from './java-random.ts';
export { TxnStore } from './txn-store.ts';
export { WatchManager } from './watch-manager.ts';
export {
  resolveZooConfig,
  type ServerSpec,
  type ZooConfig,
  zooConfigDef,
  zooConfigFor,
} from './zoo-config.ts';
export { ZooListenError, ZooListener } from './zoo-listener.ts';
export { type ClientLink, type Clock, Connection, systemClock, ZooServer } from './zoo-server.ts';
export { ZooKeeperServer, type ZooKeeperServerOptions } from './zookeeper-server.ts';
