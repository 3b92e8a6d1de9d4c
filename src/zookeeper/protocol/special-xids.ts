/**
 * Reserved xids. Client requests use positive xids (the Java client starts at 1 and requires replies
 * in xid order); these mark packets outside that sequence.
 */
export const Xid = Object.freeze({
  /** Server → client watch notification (ReplyHeader + WatcherEvent). */
  notification: -1,
  /** Ping request and its reply. */
  ping: -2,
  /** AuthPacket and its reply (err 0 or AUTHFAILED). */
  auth: -4,
  /** SetWatches / SetWatches2 after a reconnect. */
  setWatches: -8,
} as const);
