import { SluiceError } from '../../base/index.ts';
import { zooErrorByCode, zooErrorName } from '../protocol/index.ts';

/** The outcome of one operation inside a failed multi: its ZooKeeper error code and name. */
export interface MultiOpError {
  readonly err: number;
  readonly name: string;
}

/**
 * A ZooKeeper error reply (or a client-side CONNECTIONLOSS / SESSIONEXPIRED / OPERATIONTIMEOUT).
 * `code` is ZooKeeper's error name (`'NONODE'`, `'NODEEXISTS'`, `'BADVERSION'`...), `zooCode` the
 * int32 on the wire (-101, -110, -103...), `path` the path the request named, when it named one.
 */
export class ZooKeeperError extends SluiceError {
  readonly zooCode: number;
  readonly path: string | undefined;
  readonly retriable: boolean;
  /** For a failed multi: one entry per operation (0 before the failing one, then its code...). */
  readonly results: readonly MultiOpError[] | undefined;

  constructor(zooCode: number, path?: string, results?: readonly MultiOpError[]) {
    const known = zooErrorByCode(zooCode);
    const name = zooErrorName(zooCode);
    super(name, `${name}${path === undefined ? '' : ` for ${path}`}: ${known?.message ?? 'unknown error'}`);
    this.zooCode = zooCode;
    this.path = path;
    this.retriable = known?.retriable ?? false;
    this.results = results;
  }
}
