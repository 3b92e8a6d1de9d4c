import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ZooErrorCode, zooErrorName } from './error-codes.ts';
import {
  decodeNotification,
  decodeRequest,
  decodeResponse,
  encodeNotification,
  encodeRequest,
  encodeResponse,
  type MultiResponse,
  peekXid,
  type RequestType,
  type ZooRequest,
  type ZooResponse,
} from './frame.ts';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from './handshake.ts';
import { OpCode, opCodeName } from './op-codes.ts';
import type { Create2Response } from './records.generated.ts';
import { Xid } from './special-xids.ts';
import { EventType } from './watch-events.ts';

/** Frames python3-kazoo 2.8.0 sent (tools/jute-codegen/kazoo-capture.ts), ConnectRequest first. */
const frames = readFileSync(new URL('fixtures/kazoo-2.8.0.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((hex) => Buffer.from(hex, 'hex'));

const world = { perms: 31, id: { scheme: 'world', id: 'anyone' } };

describe('captured kazoo 2.8.0 frames', () => {
  test('the ConnectRequest is the 45-byte form with readOnly', () => {
    const connect = frames[0]!;
    assert.equal(connect.length, 45);
    const { message, hasReadOnly } = decodeConnectRequest(connect);
    assert.equal(hasReadOnly, true);
    assert.deepEqual(message, {
      protocolVersion: 0,
      lastZxidSeen: 0n,
      timeOut: 10000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: false,
    });
    assert.deepEqual(Buffer.concat(encodeConnectRequest(message, hasReadOnly)).subarray(4), connect);
  });

  test('every request decodes to what the script asked and re-encodes to the same bytes', () => {
    const requests = frames.slice(1).map((f) => decodeRequest(f));
    const expected: Omit<ZooRequest, 'known'>[] = [
      {
        xid: 1,
        type: OpCode.create,
        body: { path: '/app', data: Buffer.from('hi'), acl: [world], flags: 1 },
      },
      { xid: 2, type: OpCode.getData, body: { path: '/app', watch: true } },
      { xid: 3, type: OpCode.setData, body: { path: '/app', data: Buffer.from('x'), version: -1 } },
      { xid: 4, type: OpCode.getChildren, body: { path: '/', watch: false } },
      { xid: 5, type: OpCode.exists, body: { path: '/nope', watch: false } },
      {
        xid: 6,
        type: OpCode.multi,
        body: {
          ops: [
            { type: OpCode.create, body: { path: '/t', data: Buffer.alloc(0), acl: [world], flags: 0 } },
            { type: OpCode.check, body: { path: '/app', version: 2 } },
            { type: OpCode.delete, body: { path: '/t', version: -1 } },
          ],
        },
      },
      { xid: 7, type: OpCode.delete, body: { path: '/app', version: -1 } },
      { xid: 8, type: OpCode.closeSession, body: null },
    ] as Omit<ZooRequest, 'known'>[];
    assert.deepEqual(
      requests,
      expected.map((r) => ({ known: true, ...r })),
    );
    for (const [i, req] of requests.entries()) {
      assert.ok(req.known);
      assert.deepEqual(
        Buffer.concat(encodeRequest(req.xid, req.type, req.body as never)).subarray(4),
        frames[i + 1],
      );
    }
  });
});

/** A `>`/`<` fixture: both directions of a session with a real ZooKeeper, ConnectRequest first. */
function directed(name: string): { fromClient: Buffer[]; fromServer: Buffer[] } {
  const lines = readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  const pick = (d: string) => lines.filter((l) => l[0] === d).map((l) => Buffer.from(l.slice(2), 'hex'));
  return { fromClient: pick('>'), fromServer: pick('<') };
}

/**
 * Decodes every reply for the type of the request with its xid (notifications by xid -1), checks
 * that re-encoding gives the same bytes, and returns one summary line per reply.
 */
function replay(fromClient: Buffer[], fromServer: Buffer[]): { seen: string[]; replies: ZooResponse[] } {
  const typeByXid = new Map<number, RequestType>();
  for (const frame of fromClient.slice(1)) {
    const req = decodeRequest(frame);
    assert.ok(req.known);
    assert.deepEqual(Buffer.concat(encodeRequest(req.xid, req.type, req.body as never)).subarray(4), frame);
    typeByXid.set(req.xid, req.type);
  }
  const seen: string[] = [];
  const replies: ZooResponse[] = [];
  for (const frame of fromServer.slice(1)) {
    const xid = peekXid(frame);
    if (xid === Xid.notification) {
      const { zxid, event } = decodeNotification(frame);
      assert.deepEqual(Buffer.concat(encodeNotification(zxid, event)).subarray(4), frame);
      seen.push(`notification ${event.type} ${event.path} zxid ${zxid}`);
      continue;
    }
    const type = typeByXid.get(xid);
    assert.ok(type !== undefined, `a reply to xid ${xid}`);
    const reply = decodeResponse(frame, type);
    const again = encodeResponse(reply.xid, reply.zxid, reply.err, reply.type, reply.body as never);
    assert.deepEqual(Buffer.concat(again).subarray(4), frame, `reply to xid ${xid}`);
    seen.push(`${opCodeName(type)} ${zooErrorName(reply.err)}`);
    replies.push(reply);
  }
  return { seen, replies };
}

describe('captured Apache ZooKeeper 3.8.0 sessions', () => {
  test('kazoo: 45-byte ConnectRequest gets the 37-byte ConnectResponse; every reply round trips', () => {
    const { fromClient, fromServer } = directed('zookeeper-3.8.0-kazoo-2.8.0.txt');
    assert.equal(decodeConnectRequest(fromClient[0]!).hasReadOnly, true);
    const { message, hasReadOnly } = decodeConnectResponse(fromServer[0]!);
    assert.equal(fromServer[0]!.length, 37);
    assert.equal(hasReadOnly, true);
    assert.equal(message.timeOut, 10000);
    assert.equal(message.passwd?.length, 16);
    assert.notEqual(message.sessionId, 0n);
    assert.deepEqual(Buffer.concat(encodeConnectResponse(message, hasReadOnly)).subarray(4), fromServer[0]);
    const { seen, replies } = replay(fromClient, fromServer);
    assert.deepEqual(seen, [
      'create OK',
      'getData OK',
      // 3.8 sends the watch event ahead of the setData reply, with zxid -1 (3.9 sends the zxid).
      `notification ${EventType.nodeDataChanged} /app zxid -1`,
      'setData OK',
      'getChildren OK',
      'exists NONODE',
      'multi OK',
      'delete OK',
      'closeSession OK',
    ]);
    const multi = replies.find((r) => r.type === OpCode.multi);
    assert.deepEqual(
      multi?.body?.results.map((r) => r.type),
      [OpCode.create, OpCode.check, OpCode.delete],
    );
  });

  test('our encoders: 44-byte ConnectRequest gets the 36-byte form; errors, failed multi, multiRead', () => {
    const { fromClient, fromServer } = directed('zookeeper-3.8.0-codec-session.txt');
    assert.equal(fromClient[0]!.length, 44);
    assert.equal(fromServer[0]!.length, 36);
    const { message, hasReadOnly } = decodeConnectResponse(fromServer[0]!);
    assert.equal(hasReadOnly, false);
    assert.deepEqual(Buffer.concat(encodeConnectResponse(message, false)).subarray(4), fromServer[0]);
    const { seen, replies } = replay(fromClient, fromServer);
    assert.deepEqual(seen, [
      'create OK',
      'create NODEEXISTS',
      'create2 OK',
      'multi OK',
      'multiRead OK',
      'getChildren2 OK',
      'getACL OK',
      'setData BADVERSION',
      'exists OK',
      'whoAmI OK',
      `notification ${EventType.nodeChildrenChanged} / zxid -1`,
      'delete OK',
      'closeSession OK',
    ]);
    const byType = (t: number) => replies.find((r) => r.type === t)?.body;
    // A failed multi: every result an error; 0 before the failing op, its code, then RUNTIMEINCONSISTENCY.
    assert.deepEqual(byType(OpCode.multi), {
      results: [
        { type: OpCode.error, body: { err: 0 } },
        { type: OpCode.error, body: { err: ZooErrorCode.BADVERSION } },
        { type: OpCode.error, body: { err: ZooErrorCode.RUNTIMEINCONSISTENCY } },
      ],
    });
    // multiRead: one op's error does not abort the others.
    const read = byType(OpCode.multiRead) as MultiResponse;
    assert.deepEqual(
      read.results.map((r) => r.type),
      [OpCode.getData, OpCode.error],
    );
    assert.deepEqual(read.results[1]!.body, { err: ZooErrorCode.NONODE });
    const created = byType(OpCode.create2) as Create2Response;
    assert.match(created.path ?? '', /^\/s-\d{10}$/);
    assert.deepEqual(byType(OpCode.whoAmI), { clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] });
  });
});
