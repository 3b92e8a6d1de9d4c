/**
 * Transactions as bytes for the write-ahead log and snapshots. The encoding is JSON with 64-bit
 * integers as decimal strings and byte strings as base64: the log is Sluice's own (ZooKeeper's file
 * format is optional), and JSON keeps it inspectable; the WAL adds framing and a CRC-32C per record.
 */
import type { ACL } from '../protocol/index.ts';
import type { Txn, TxnHeader } from './data-tree.ts';

interface LoggedTxn {
  readonly hdr: TxnHeader;
  readonly txn: Txn;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $n: value.toString() };
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    const data = (value as { data?: unknown }).data;
    if (Array.isArray(data)) return { $b: Buffer.from(data as number[]).toString('base64') };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const v = value as { $n?: string; $b?: string };
    if (typeof v.$n === 'string') return BigInt(v.$n);
    if (typeof v.$b === 'string') return Buffer.from(v.$b, 'base64');
  }
  return value;
}

/**
 * Serializes any value holding bigints and Buffers: the text `JSON.stringify(value, replacer)`
 * gives, written directly. JSON.stringify calls Buffer#toJSON (an array of numbers, one per byte)
 * before any replacer sees the Buffer, which made encoding the log's largest CPU cost per write.
 */
export function encodeJson(value: unknown): string {
  return encodeValue(value) ?? 'null';
}

/** Object keys are the same few field names over and over. */
const quotedKeys = new Map<string, string>();

/** undefined where JSON.stringify omits the value (undefined, functions, symbols). */
function encodeValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return `{"$n":"${v.toString()}"}`;
    case 'object': {
      if (v === null) return 'null';
      if (Buffer.isBuffer(v)) return `{"$b":"${v.toString('base64')}"}`;
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          out += encodeValue(v[i]) ?? 'null';
        }
        return `${out}]`;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v, replacer);
      let out = '{';
      let first = true;
      for (const key of Object.keys(v)) {
        const text = encodeValue((v as Record<string, unknown>)[key]);
        if (text === undefined) continue;
        let quoted = quotedKeys.get(key);
        if (quoted === undefined) {
          quoted = `${JSON.stringify(key)}:`;
          if (quotedKeys.size < 1024) quotedKeys.set(key, quoted);
        }
        out += first ? quoted + text : `,${quoted}${text}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, reviver);
}

/**
 * The log record of one transaction: `encodeJson({hdr, txn})`, with the header and the commonest
 * transactions written field by field (they are most of a write's encoding cost).
 */
export function encodeTxn(hdr: TxnHeader, txn: Txn): Buffer {
  return Buffer.from(
    `{"hdr":{"sessionId":{"$n":"${hdr.sessionId}"},"cxid":${encodeValue(hdr.cxid)},` +
      `"zxid":{"$n":"${hdr.zxid}"},"time":{"$n":"${hdr.time}"}},"txn":${encodeTxnBody(txn)}}`,
    'utf8',
  );
}

function encodeTxnBody(txn: Txn): string {
  switch (txn.type) {
    case 'setData':
      return (
        `{"type":"setData","path":${JSON.stringify(txn.path)},"data":${encodeJson(txn.data)},` +
        `"version":${encodeValue(txn.version)}}`
      );
    case 'delete':
      return `{"type":"delete","path":${JSON.stringify(txn.path)}}`;
    default:
      return encodeJson(txn);
  }
}

export function decodeTxn(payload: Uint8Array): LoggedTxn {
  return decodeJson(
    Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
  ) as LoggedTxn;
}

export function cloneAcl(acl: readonly ACL[]): ACL[] {
  return acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } }));
}
