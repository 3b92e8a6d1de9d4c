import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { requestBodies, responseBodies } from '../../../test/support/zookeeper/frame-arbitrary.ts';
import { DecodeError, EncodeError } from '../../base/index.ts';
import {
  checkFrameLength,
  decodeNotification,
  decodeRequest,
  decodeResponse,
  encodeNotification,
  encodeRequest,
  encodeResponse,
  JUTE_MAX_BUFFER_DEFAULT,
  type MultiResponse,
  peekXid,
  REQUEST_TYPES,
} from './frame.ts';
import { OpCode } from './op-codes.ts';

/** Joins length-prefixed chunks and checks the prefix; returns the frame without it. */
function unframe(chunks: readonly Buffer[]): Buffer {
  const all = Buffer.concat(chunks);
  assert.equal(all.readInt32BE(0), all.length - 4, 'length prefix');
  return all.subarray(4);
}

const xidArb = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const zxidArb = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

describe('requests', () => {
  test('the request table covers exactly the opcodes clients send', () => {
    assert.deepEqual(
      [...REQUEST_TYPES],
      Object.keys(requestBodies)
        .map(Number)
        .sort((a, b) => a - b),
    );
  });

  for (const type of REQUEST_TYPES) {
    test(`type ${type} round trips through encodeRequest/decodeRequest`, () => {
      fc.assert(
        fc.property(xidArb, requestBodies[type], (xid, body) => {
          const frame = unframe(encodeRequest(xid, type, body as never));
          assert.deepStrictEqual(decodeRequest(frame), { known: true, xid, type, body });
          assert.equal(peekXid(frame), xid);
        }),
        { numRuns: 30 },
      );
    });
  }

  test('golden bytes: create /app with data "hi", OPEN_ACL_UNSAFE, ephemeral', () => {
    const body = {
      path: '/app',
      data: Buffer.from('hi'),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      flags: 1,
    };
    const expected = Buffer.from(
      [
        '00000035', // length 53
        '00000007', // xid 7
        '00000001', // type create
        '00000004',
        '2f617070', // path "/app"
        '00000002',
        '6869', // data "hi"
        '00000001', // one ACL
        '0000001f', // perms ALL
        '00000005',
        '776f726c64', // scheme "world"
        '00000006',
        '616e796f6e65', // id "anyone"
        '00000001', // flags EPHEMERAL
      ].join(''),
      'hex',
    );
    assert.deepEqual(Buffer.concat(encodeRequest(7, OpCode.create, body)), expected);
    assert.deepEqual(decodeRequest(expected.subarray(4)), { known: true, xid: 7, type: OpCode.create, body });
  });

  test('a ping is the header alone', () => {
    assert.equal(
      Buffer.concat(encodeRequest(-2, OpCode.ping, null)).toString('hex'),
      '00000008fffffffe0000000b',
    );
    assert.throws(() => encodeRequest(-2, OpCode.ping, {} as never), EncodeError);
  });

  test('an opcode clients do not send is reported, not thrown', () => {
    const frame = Buffer.from('0000000500000014ffff', 'hex');
    assert.deepEqual(decodeRequest(frame), { known: false, xid: 5, type: OpCode.deleteContainer });
    assert.deepEqual(decodeRequest(Buffer.from('00000001000003e7', 'hex')), {
      known: false,
      xid: 1,
      type: 999,
    });
  });

  test('a known body must fill its frame', () => {
    const frame = unframe(encodeRequest(1, OpCode.sync, { path: '/' }));
    assert.throws(() => decodeRequest(Buffer.concat([frame, Buffer.from([0])])), /1 trailing bytes/);
    assert.throws(() => decodeRequest(frame.subarray(0, frame.length - 1)), DecodeError);
    assert.throws(() => decodeRequest(Buffer.from('000001', 'hex')), DecodeError);
  });

  test('multi: MultiHeader{type, false, -1} per op, then {-1, true, -1}', () => {
    const ops = [
      { type: OpCode.check, body: { path: '/c', version: 3 } },
      { type: OpCode.delete, body: { path: '/d', version: -1 } },
    ] as const;
    const frame = unframe(encodeRequest(9, OpCode.multi, { ops: [...ops] }));
    const hex = frame.toString('hex');
    assert.equal(
      hex,
      '00000009' +
        '0000000e' +
        '0000000d' +
        '00' +
        'ffffffff' +
        '000000022f63' +
        '00000003' +
        '00000002' +
        '00' +
        'ffffffff' +
        '000000022f64' +
        'ffffffff' +
        'ffffffff' +
        '01' +
        'ffffffff',
    );
    // An operation type multi cannot carry is malformed.
    const bad = Buffer.from(hex.replace('0000000d00', '0000000b00'), 'hex');
    assert.throws(() => decodeRequest(bad), /operation type 11 is not allowed/);
    // A multi without its terminator runs out of bytes.
    assert.throws(() => decodeRequest(frame.subarray(0, frame.length - 9)), DecodeError);
  });
});

describe('responses', () => {
  test('addWatch is answered with an ErrorResponse{err: 0} body, byte for byte as Apache ZooKeeper 3.8', () => {
    // Captured from Apache ZooKeeper 3.8.0: xid 1, zxid 1, err 0, then the 4-byte ErrorResponse.
    const apache = Buffer.from('000000140000000100000000000000010000000000000000', 'hex');
    assert.deepEqual(Buffer.concat(encodeResponse(1, 1n, 0, OpCode.addWatch, { err: 0 })), apache);
    assert.deepEqual(decodeResponse(apache.subarray(4), OpCode.addWatch).body, { err: 0 });
  });

  for (const type of REQUEST_TYPES) {
    test(`type ${type} round trips through encodeResponse/decodeResponse`, () => {
      fc.assert(
        fc.property(xidArb, zxidArb, responseBodies[type], (xid, zxid, body) => {
          const frame = unframe(encodeResponse(xid, zxid, 0, type, body as never));
          assert.deepStrictEqual(decodeResponse(frame, type), { xid, zxid, err: 0, type, body });
        }),
        { numRuns: 30 },
      );
    });
  }

  test('an error reply is the 16-byte header alone, whatever the body', () => {
    const bytes = Buffer.concat(
      encodeResponse(3, 0x100000005n, -101, OpCode.getData, { data: null, stat: null as never }),
    );
    assert.equal(bytes.toString('hex'), '00000010' + '00000003' + '0000000100000005' + 'ffffff9b');
    assert.deepEqual(decodeResponse(bytes.subarray(4), OpCode.getData), {
      xid: 3,
      zxid: 0x100000005n,
      err: -101,
      type: OpCode.getData,
      body: null,
    });
    const withBody = Buffer.concat([bytes.subarray(4), Buffer.alloc(4)]);
    assert.throws(() => decodeResponse(withBody, OpCode.getData), /trailing/);
  });

  test('a success reply needs a body where the operation has one', () => {
    assert.throws(() => encodeResponse(1, 0n, 0, OpCode.exists, null), EncodeError);
    assert.equal(Buffer.concat(encodeResponse(1, 0n, 0, OpCode.delete, null)).length, 20);
  });

  test('multi results: ErrorResponse carries the code in both header and body', () => {
    const response: MultiResponse = {
      results: [
        { type: OpCode.error, body: { err: 0 } },
        { type: OpCode.error, body: { err: -110 } },
        { type: OpCode.error, body: { err: -2 } },
      ],
    };
    const frame = unframe(encodeResponse(4, 7n, 0, OpCode.multi, response));
    assert.equal(
      frame.subarray(16).toString('hex'),
      'ffffffff' +
        '00' +
        '00000000' +
        '00000000' +
        'ffffffff' +
        '00' +
        'ffffff92' +
        'ffffff92' +
        'ffffffff' +
        '00' +
        'fffffffe' +
        'fffffffe' +
        'ffffffff' +
        '01' +
        'ffffffff',
    );
    assert.deepEqual(decodeResponse(frame, OpCode.multi).body, response);
  });
});

describe('notifications and limits', () => {
  test('a notification is ReplyHeader{-1, zxid, 0} + WatcherEvent', () => {
    const event = { type: 4, state: 3, path: '/brokers/ids' };
    const bytes = Buffer.concat(encodeNotification(0x200000001n, event));
    assert.equal(
      bytes.toString('hex'),
      '00000028' +
        'ffffffff' +
        '0000000200000001' +
        '00000000' +
        '00000004' +
        '00000003' +
        '0000000c' +
        Buffer.from('/brokers/ids').toString('hex'),
    );
    assert.equal(peekXid(bytes.subarray(4)), -1);
    assert.deepEqual(decodeNotification(bytes.subarray(4)), { zxid: 0x200000001n, event });
    assert.throws(
      () => decodeNotification(unframe(encodeResponse(1, 0n, 0, OpCode.ping, null))),
      /expected -1/,
    );
  });

  test('packets above jute.maxbuffer (0xfffff) or negative are rejected', () => {
    assert.equal(JUTE_MAX_BUFFER_DEFAULT, 1_048_575);
    checkFrameLength(0);
    checkFrameLength(0xfffff);
    assert.throws(() => checkFrameLength(0x100000), DecodeError);
    assert.throws(() => checkFrameLength(-1), DecodeError);
    assert.throws(() => checkFrameLength(200, 100), /outside \[0, 100\]/);
    const big = Buffer.alloc(0x100000);
    big.writeInt32BE(OpCode.ping, 4);
    assert.throws(() => decodeRequest(big), /exceeds jute.maxbuffer/);
    assert.equal(decodeRequest(big.subarray(0, 8)).known, true);
    assert.throws(() => decodeResponse(big, OpCode.ping), /exceeds jute.maxbuffer/);
  });
});
