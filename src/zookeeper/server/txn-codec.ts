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

/** Serializes any value holding bigints and Buffers. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, reviver);
}

export function encodeTxn(hdr: TxnHeader, txn: Txn): Buffer {
  return Buffer.from(encodeJson({ hdr, txn } satisfies LoggedTxn), 'utf8');
}

export function decodeTxn(payload: Uint8Array): LoggedTxn {
  return decodeJson(
    Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
  ) as LoggedTxn;
}

export function cloneAcl(acl: readonly ACL[]): ACL[] {
  return acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } }));
}
