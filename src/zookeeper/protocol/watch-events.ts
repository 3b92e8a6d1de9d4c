/** `WatcherEvent.type` (Watcher.Event.EventType). `none` is client-local (session state changes). */
export const EventType = Object.freeze({
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
  dataWatchRemoved: 5,
  childWatchRemoved: 6,
  persistentWatchRemoved: 7,
} as const);

/** `WatcherEvent.state` (Watcher.Event.KeeperState); servers send syncConnected in notifications. */
export const KeeperState = Object.freeze({
  disconnected: 0,
  noSyncConnected: 1,
  syncConnected: 3,
  authFailed: 4,
  connectedReadOnly: 5,
  saslAuthenticated: 6,
  closed: 7,
  expired: -112,
} as const);

/** `CheckWatchesRequest.type` / `RemoveWatchesRequest.type` (Watcher.WatcherType). */
export const WatcherType = Object.freeze({
  children: 1,
  data: 2,
  any: 3,
  persistent: 4,
  persistentRecursive: 5,
} as const);

/** `AddWatchRequest.mode` (AddWatchMode). */
export const AddWatchMode = Object.freeze({
  persistent: 0,
  persistentRecursive: 1,
} as const);
