/**
 * ZooKeeper's error codes (`ReplyHeader.err`, `ErrorResponse.err`, KeeperException.Code), one table.
 * SYSTEMERROR and APIERROR are range markers ZooKeeper never sends itself; CONNECTIONLOSS and
 * OPERATIONTIMEOUT arise in clients, not on the wire. `retriable`: the same request may succeed if a
 * client sends it again on the same session (Curator and Kafka retry these).
 */
const errorTable = [
  [0, 'OK', false, 'Everything is fine.'],
  [-1, 'SYSTEMERROR', false, 'System error (range marker).'],
  [
    -2,
    'RUNTIMEINCONSISTENCY',
    false,
    'A runtime inconsistency was found; in a multi, an operation after a failed one.',
  ],
  [-3, 'DATAINCONSISTENCY', false, 'A data inconsistency was found.'],
  [-4, 'CONNECTIONLOSS', true, 'The connection to the server was lost.'],
  [-5, 'MARSHALLINGERROR', false, 'Error while marshalling or unmarshalling data.'],
  [-6, 'UNIMPLEMENTED', false, 'The operation is not implemented or not enabled.'],
  [-7, 'OPERATIONTIMEOUT', true, 'The operation timed out.'],
  [-8, 'BADARGUMENTS', false, 'Invalid arguments.'],
  [-12, 'UNKNOWNSESSION', false, 'The session is not known to the server.'],
  [-13, 'NEWCONFIGNOQUORUM', false, 'No quorum of the new configuration is connected and synced.'],
  [-14, 'RECONFIGINPROGRESS', true, 'Another reconfiguration is in progress.'],
  [-100, 'APIERROR', false, 'API error (range marker).'],
  [-101, 'NONODE', false, 'The node does not exist.'],
  [-102, 'NOAUTH', false, 'Not authorized.'],
  [-103, 'BADVERSION', false, 'The expected version does not match.'],
  [-108, 'NOCHILDRENFOREPHEMERALS', false, 'Ephemeral nodes may not have children.'],
  [-110, 'NODEEXISTS', false, 'The node already exists.'],
  [-111, 'NOTEMPTY', false, 'The node has children.'],
  [-112, 'SESSIONEXPIRED', false, 'The session has expired.'],
  [-113, 'INVALIDCALLBACK', false, 'Invalid callback.'],
  [-114, 'INVALIDACL', false, 'Invalid ACL.'],
  [-115, 'AUTHFAILED', false, 'Client authentication failed.'],
  [-118, 'SESSIONMOVED', true, 'The session moved to another server.'],
  [-119, 'NOTREADONLY', false, 'A state-changing request was sent to a read-only server.'],
  [-120, 'EPHEMERALONLOCALSESSION', false, 'Ephemeral nodes need a global session.'],
  [-121, 'NOWATCHER', false, 'No such watcher.'],
  [-122, 'REQUESTTIMEOUT', true, 'The request timed out.'],
  [-123, 'RECONFIGDISABLED', false, 'Dynamic reconfiguration is disabled.'],
  [-124, 'SESSIONCLOSEDREQUIRESASLAUTH', false, 'The session was closed: SASL authentication is required.'],
  [-125, 'QUOTAEXCEEDED', false, 'A hard quota was exceeded.'],
  [-127, 'THROTTLEDOP', true, 'The operation was throttled; retry later.'],
] as const;

type Row = (typeof errorTable)[number];

/** Every ZooKeeper error name, e.g. `'NONODE'`. */
export type ZooErrorName = Row[1];

export interface ZooError {
  /** The int32 code on the wire. */
  readonly code: number;
  readonly name: ZooErrorName;
  readonly retriable: boolean;
  readonly message: string;
}

/** All errors, from 0 downwards. */
export const ZOO_ERRORS: readonly ZooError[] = Object.freeze(
  errorTable.map(([code, name, retriable, message]) => Object.freeze({ code, name, retriable, message })),
);

/** Name → code, with literal types: `ZooErrorCode.NONODE` is the type `-101`. */
export const ZooErrorCode = Object.freeze(
  Object.fromEntries(errorTable.map(([code, name]) => [name, code])),
) as {
  readonly [R in Row as R[1]]: R[0];
};

const byCode = new Map<number, ZooError>(ZOO_ERRORS.map((e) => [e.code, e]));

/** The error with this code, or undefined for a code this table does not know. */
export function zooErrorByCode(code: number): ZooError | undefined {
  return byCode.get(code);
}

/** The name of a code; unknown codes read as `UNKNOWN(n)`. */
export function zooErrorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN(${code})`;
}
