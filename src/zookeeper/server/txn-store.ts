/**
 * Durability of the data tree: the transaction log on the storage WriteAheadLog (each write is
 * durable before its reply; concurrent writes share a sync by group commit) and snapshots taken every
 * `snapCount` transactions, written atomically (temp file, fsync, rename, fsync of the directory).
 * Recovery loads the newest readable snapshot and replays the log after it. Purging keeps the newest
 * `snapRetainCount` snapshots and the log records they still need.
 *
 * Layout: `<dataDir>/version-2/snapshot.<zxid hex>.json` and `<dataLogDir>/version-2/txnlog/` (WAL
 * files). A snapshot records the WAL sequence number of the last transaction it includes.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WriteAheadLog } from '../../storage/index.ts';
import type { ACL } from '../protocol/index.ts';
import { DataTree, nodeKind, type Txn, type TxnHeader, type ZNode } from './data-tree.ts';
import { decodeJson, decodeTxn, encodeJson, encodeTxn } from './txn-codec.ts';

const SNAPSHOT_NAME = /^snapshot\.([0-9a-f]+)\.json$/;

interface SnapshotFile {
  readonly format: 'sluice-zk-snapshot-1';
  readonly walSeq: number;
  readonly lastZxid: bigint;
  readonly sessions: [bigint, number][];
  readonly nodes: [string, Omit<ZNode, 'children'> & { acl: ACL[] }][];
  readonly end: true;
}

export interface RecoveryReport {
  readonly snapshot: string | null;
  readonly replayed: number;
  readonly lastZxid: bigint;
  readonly truncatedTail: boolean;
}

export class TxnStore {
  readonly snapDir: string;
  readonly logDir: string;
  readonly wal: WriteAheadLog;
  private sinceSnapshot = 0;
  private snapshotting = false;

  private constructor(snapDir: string, logDir: string, wal: WriteAheadLog) {
    this.snapDir = snapDir;
    this.logDir = logDir;
    this.wal = wal;
  }

  /**
   * `juteMaxBuffer` bounds a request, so it bounds a logged transaction: its encoding (JSON, buffers
   * in base64, at worst 6 bytes per escaped string byte) must fit one WAL record, or a client's
   * legitimate 1 MB setData would fail the log and stop the server.
   */
  static async open(
    dataDir: string,
    dataLogDir: string,
    forceSync: boolean,
    juteMaxBuffer = 0xfffff,
    preAllocBytes = 0,
  ): Promise<TxnStore> {
    const snapDir = join(dataDir, 'version-2');
    const logDir = join(dataLogDir, 'version-2', 'txnlog');
    await mkdir(snapDir, { recursive: true });
    await mkdir(logDir, { recursive: true });
    // Never below what the default jute.maxbuffer needs, so lowering it later still reads old logs.
    const recordBytesMax = 6 * Math.max(juteMaxBuffer, 0xfffff) + 64 * 1024;
    const wal = await WriteAheadLog.open(logDir, {
      fsync: forceSync ? 'always' : 'never',
      recordBytesMax,
      fileBytesMax: Math.max(64 * 1024 * 1024, 2 * recordBytesMax),
      // ZooKeeper's preAllocSize: syncs into space that exists need no file-size update.
      preallocateBytes: preAllocBytes,
    });
    return new TxnStore(snapDir, logDir, wal);
  }

  /** Rebuilds the tree: newest valid snapshot, then every logged transaction after it. */
  async recover(): Promise<{ tree: DataTree; report: RecoveryReport }> {
    const snaps = await this.listSnapshots();
    let tree = new DataTree();
    let fromSeq = 0;
    let used: string | null = null;
    for (const s of snaps.reverse()) {
      const loaded = await readSnapshot(join(this.snapDir, s.name));
      if (loaded === null) continue;
      tree = loaded.tree;
      fromSeq = loaded.walSeq + 1;
      used = s.name;
      break;
    }
    let replayed = 0;
    for await (const rec of this.wal.replay(fromSeq)) {
      const { hdr, txn } = decodeTxn(rec.payload);
      tree.applyTxn(hdr, txn);
      replayed++;
    }
    return {
      tree,
      report: {
        snapshot: used,
        replayed,
        lastZxid: tree.lastZxid,
        truncatedTail: this.wal.recovery.truncated !== null && this.wal.recovery.truncated !== undefined,
      },
    };
  }

  /** Appends a transaction; resolves once it is durable (with forceSync) with its log sequence. */
  append(hdr: TxnHeader, txn: Txn): Promise<number> {
    this.sinceSnapshot++;
    return this.wal.append(encodeTxn(hdr, txn));
  }

  /** Whether `snapCount` transactions were logged since the last snapshot. */
  snapshotDue(snapCount: number): boolean {
    return !this.snapshotting && this.sinceSnapshot >= snapCount;
  }

  /**
   * Serializes the tree now (it includes every appended transaction) and writes the file once the
   * log is durable up to the same point, so the snapshot never covers records a crash could lose.
   */
  async snapshot(tree: DataTree): Promise<string> {
    this.snapshotting = true;
    this.sinceSnapshot = 0;
    try {
      const walSeq = this.wal.nextSeq - 1;
      // The cut is taken now, synchronously (a shallow copy of every node); encoding it, which costs
      // far more, runs in slices between other work, so requests are not stalled for the whole tree.
      const cut = snapshotCut(tree, walSeq);
      const name = `snapshot.${tree.lastZxid.toString(16)}.json`;
      const tmp = join(this.snapDir, `${name}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        for (const piece of snapshotPieces(cut, SNAPSHOT_SLICE_NODES)) {
          await fh.write(piece, null, 'utf8');
        }
        await this.wal.sync();
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.snapDir, name));
      await syncDir(this.snapDir);
      return name;
    } finally {
      this.snapshotting = false;
    }
  }

  /** Deletes all but the newest `retain` snapshots and the log files only older ones needed. */
  async purge(retain: number): Promise<{ snapshotsDeleted: number; logFilesDeleted: number }> {
    const snaps = await this.listSnapshots();
    if (snaps.length <= retain) return { snapshotsDeleted: 0, logFilesDeleted: 0 };
    const keep = snaps.slice(snaps.length - retain);
    const oldest = keep[0]!;
    const loaded = await readSnapshot(join(this.snapDir, oldest.name));
    if (loaded === null) return { snapshotsDeleted: 0, logFilesDeleted: 0 };
    const drop = snaps.slice(0, snaps.length - retain);
    for (const s of drop) await rm(join(this.snapDir, s.name), { force: true });
    const logFilesDeleted = await this.wal.truncateBefore(loaded.walSeq + 1);
    return { snapshotsDeleted: drop.length, logFilesDeleted };
  }

  async listSnapshots(): Promise<{ name: string; zxid: bigint }[]> {
    const names = await readdir(this.snapDir);
    return names
      .map((name) => ({ name, m: SNAPSHOT_NAME.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, zxid: BigInt(`0x${x.m[1]}`) }))
      .sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
  }

  /** Bytes of snapshots and of the log, for the `dirs` four-letter word. */
  async sizes(): Promise<{ snapBytes: number; logBytes: number }> {
    const sum = async (dir: string) => {
      let n = 0;
      for (const name of await readdir(dir)) {
        try {
          n += (await stat(join(dir, name))).size;
        } catch {
          // deleted meanwhile
        }
      }
      return n;
    };
    return { snapBytes: await sum(this.snapDir), logBytes: await sum(this.logDir) };
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Nodes encoded per slice of a snapshot (one file write, then other work may run). */
const SNAPSHOT_SLICE_NODES = 1000;

/** A consistent cut of the tree: nodes are copied (fields only), so later writes do not show. */
function snapshotCut(tree: DataTree, walSeq: number): SnapshotFile {
  const nodes: SnapshotFile['nodes'] = [];
  // Field by field: a rest spread of every node took ~50 ms for 100k nodes, all of it a stall.
  for (const [path, n] of tree.nodes) {
    nodes.push([
      path,
      {
        data: n.data,
        acl: n.acl,
        czxid: n.czxid,
        mzxid: n.mzxid,
        ctime: n.ctime,
        mtime: n.mtime,
        version: n.version,
        cversion: n.cversion,
        aversion: n.aversion,
        ephemeralOwner: n.ephemeralOwner,
        pzxid: n.pzxid,
      },
    ]);
  }
  return {
    format: 'sluice-zk-snapshot-1',
    walSeq,
    lastZxid: tree.lastZxid,
    sessions: [...tree.sessions],
    nodes,
    end: true,
  };
}

/** The text of `encodeJson(file)`, in pieces of `sliceNodes` nodes. */
function* snapshotPieces(file: SnapshotFile, sliceNodes: number): Generator<string> {
  const { nodes, end, ...head } = file;
  const headText = encodeJson(head);
  let piece = `${headText.slice(0, -1)},"nodes":[`;
  for (let i = 0; i < nodes.length; i += sliceNodes) {
    const slice = nodes.slice(i, i + sliceNodes).map(encodeNodeEntry);
    piece += (i === 0 ? '' : ',') + slice.join(',');
    yield piece;
    piece = '';
  }
  yield `${piece}],"end":${encodeJson(end)}}`;
}

/**
 * One `[path, node]` entry as `encodeJson` writes it, field by field: the generic walk cost ~10 µs
 * a node, most of a snapshot's time.
 */
function encodeNodeEntry([path, n]: SnapshotFile['nodes'][number]): string {
  const big = (v: bigint) => `{"$n":"${v}"}`;
  return (
    `[${JSON.stringify(path)},{"data":${encodeJson(n.data)},"acl":${encodeJson(n.acl)},` +
    `"czxid":${big(n.czxid)},"mzxid":${big(n.mzxid)},"ctime":${big(n.ctime)},"mtime":${big(n.mtime)},` +
    `"version":${n.version},"cversion":${n.cversion},"aversion":${n.aversion},` +
    `"ephemeralOwner":${big(n.ephemeralOwner)},"pzxid":${big(n.pzxid)}}]`
  );
}

export function serializeTree(tree: DataTree, walSeq: number): string {
  return [...snapshotPieces(snapshotCut(tree, walSeq), SNAPSHOT_SLICE_NODES)].join('');
}

export function deserializeTree(text: string): { tree: DataTree; walSeq: number } | null {
  let file: SnapshotFile;
  try {
    file = decodeJson(text) as SnapshotFile;
  } catch {
    return null;
  }
  if (file?.format !== 'sluice-zk-snapshot-1' || file.end !== true) return null;
  const tree = new DataTree();
  tree.nodes.clear();
  for (const [path, n] of file.nodes) tree.nodes.set(path, { ...n, children: new Set() });
  for (const [path, n] of tree.nodes) {
    if (path === '/') continue;
    const i = path.lastIndexOf('/');
    const parent = tree.nodes.get(i === 0 ? '/' : path.slice(0, i));
    if (parent === undefined) return null;
    parent.children.add(path.slice(i + 1));
    const owner = n.ephemeralOwner;
    const kind = nodeKind(owner);
    if (kind === 'persistent') continue;
    if (kind === 'container') tree.containers.add(path);
    else if (kind === 'ttl') tree.ttls.add(path);
    else {
      let set = tree.ephemerals.get(owner);
      if (set === undefined) {
        set = new Set();
        tree.ephemerals.set(owner, set);
      }
      set.add(path);
    }
  }
  for (const [id, timeout] of file.sessions) tree.sessions.set(id, timeout);
  tree.lastZxid = file.lastZxid;
  return { tree, walSeq: file.walSeq };
}

async function readSnapshot(path: string): Promise<{ tree: DataTree; walSeq: number } | null> {
  try {
    return deserializeTree(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}
