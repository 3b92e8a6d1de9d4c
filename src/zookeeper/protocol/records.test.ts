import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { recordArbitrary } from '../../../test/support/zookeeper/record-arbitrary.ts';
import { ByteReader, ByteWriter, DecodeError } from '../../base/index.ts';
import { readUstring, writeUstring } from './jute.ts';
import {
  decodeCreateRequest,
  decodeGetChildrenResponse,
  decodeStat,
  encodeCreateRequest,
  recordCodecs,
} from './records.generated.ts';
import type { JuteType } from './schema.ts';

function encode<T>(fn: (w: ByteWriter, m: T) => void, m: T): Buffer {
  const w = new ByteWriter(8);
  fn(w, m);
  return w.toBuffer();
}

/** The record with every string, buffer and vector null, every number zero. */
function minimal(t: JuteType): unknown {
  switch (t.kind) {
    case 'int':
      return 0;
    case 'long':
      return 0n;
    case 'boolean':
      return false;
    case 'record':
      return Object.fromEntries(t.record.fields.map((f) => [f.name, minimal(f.type)]));
    default:
      return null;
  }
}

describe('generated jute records', () => {
  test('cover every class of the IDL, with unique names', () => {
    const names = recordCodecs.map((c) => c.schema.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of [
      'Stat',
      'ConnectRequest',
      'MultiHeader',
      'WhoAmIResponse',
      'QuorumPacket',
      'TxnHeader',
      'MultiTxn',
    ]) {
      assert.ok(names.includes(n), n);
    }
    assert.equal(recordCodecs.length, 72, "the classes of ZooKeeper 3.9's IDL");
  });

  for (const { schema, decode, encode: enc } of recordCodecs) {
    test(`${schema.name} round trips and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(recordArbitrary(schema), (m) => {
          const bytes = encode(enc, m);
          const r = new ByteReader(bytes);
          const back = decode(r);
          r.expectEnd(schema.name);
          assert.deepStrictEqual(back, m);
          assert.deepStrictEqual(encode(enc, back), bytes);
          assert.ok(bytes.length >= schema.minBytes);
        }),
        { numRuns: 40 },
      );
      const smallest = minimal({ kind: 'record', record: schema });
      assert.equal(encode(enc, smallest).length, schema.minBytes, 'minBytes is the all-null encoding');
    });
  }

  test('Stat is 68 bytes in IDL order', () => {
    const bytes = Buffer.alloc(68);
    let o = 0;
    for (const v of [1n, 2n, 3n, 4n]) o = bytes.writeBigInt64BE(v, o);
    for (const v of [5, 6, 7]) o = bytes.writeInt32BE(v, o);
    o = bytes.writeBigInt64BE(-0x8000000000000000n, o);
    for (const v of [9, 10]) o = bytes.writeInt32BE(v, o);
    bytes.writeBigInt64BE(11n, o);
    assert.deepEqual(decodeStat(new ByteReader(bytes)), {
      czxid: 1n,
      mzxid: 2n,
      ctime: 3n,
      mtime: 4n,
      version: 5,
      cversion: 6,
      aversion: 7,
      ephemeralOwner: -0x8000000000000000n,
      dataLength: 9,
      numChildren: 10,
      pzxid: 11n,
    });
  });

  test('length -1 is null; other negative lengths and counts are malformed', () => {
    const nulls = Buffer.from('ffffffff' + 'ffffffff' + 'ffffffff' + '00000001', 'hex');
    assert.deepEqual(decodeCreateRequest(new ByteReader(nulls)), {
      path: null,
      data: null,
      acl: null,
      flags: 1,
    });
    for (const bad of ['fffffffe', '80000000']) {
      assert.throws(() => readUstring(new ByteReader(Buffer.from(bad, 'hex'))), DecodeError);
      assert.throws(() => decodeGetChildrenResponse(new ByteReader(Buffer.from(bad, 'hex'))), DecodeError);
    }
    assert.throws(
      () => decodeCreateRequest(new ByteReader(Buffer.from('00000000fffffffe', 'hex'))),
      DecodeError,
      'buffer length -2',
    );
  });

  test('a vector count is checked against the bytes left before allocating', () => {
    // 2^31-1 strings of at least 4 bytes each cannot fit in 8 bytes.
    const bytes = Buffer.from('7fffffff' + '00000000' + '00000000', 'hex');
    assert.throws(() => decodeGetChildrenResponse(new ByteReader(bytes)), /cannot fit/);
    const two = Buffer.from('00000002' + '00000001' + '61' + '00000000', 'hex');
    assert.deepEqual(decodeGetChildrenResponse(new ByteReader(two)), { children: ['a', ''] });
  });

  test('ustrings are int32-length UTF-8', () => {
    const bytes = encode(writeUstring, 'zk/é');
    assert.equal(bytes.toString('hex'), '000000057a6b2fc3a9');
    assert.equal(encode(writeUstring, null).toString('hex'), 'ffffffff');
    const create = encode(encodeCreateRequest, { path: '/a', data: Buffer.from('x'), acl: [], flags: 0 });
    assert.equal(create.toString('hex'), '000000022f61' + '0000000178' + '00000000' + '00000000');
  });
});
