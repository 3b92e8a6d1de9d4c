import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  decodeConnectRequest,
  decodeRequest,
  EventType,
  encodeConnectResponse,
  encodeNotification,
  encodeResponse,
  KeeperState,
  OpCode,
} from '../protocol/index.ts';
import { ZooKeeperClient } from './zookeeper-client.ts';

const STAT = {
  czxid: 1n,
  mzxid: 1n,
  ctime: 0n,
  mtime: 0n,
  version: 0,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  dataLength: 0,
  numChildren: 0,
  pzxid: 1n,
};

/**
 * A scripted server: answers the handshake, then hands each request to `answer`, which writes
 * whatever frames it likes (here: a reply and a notification in one write, as a busy server does).
 */
async function fakeServer(answer: (socket: Socket, xid: number, type: number) => void) {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    let handshaken = false;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        if (!handshaken) {
          handshaken = true;
          const { message, hasReadOnly } = decodeConnectRequest(frame);
          const response = {
            protocolVersion: 0,
            timeOut: message.timeOut,
            sessionId: 0x1234n,
            passwd: Buffer.alloc(16),
            readOnly: false,
          };
          socket.write(Buffer.concat(encodeConnectResponse(response, hasReadOnly)));
          continue;
        }
        const r = decodeRequest(frame);
        answer(socket, r.xid, r.type);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('ZooKeeperClient watch registration', () => {
  it('a notification in the same read as the reply that set its watch is delivered', async () => {
    const server = await fakeServer((socket, xid, type) => {
      if (type === OpCode.exists) {
        socket.write(
          Buffer.concat([
            ...encodeResponse(xid, 5n, 0, OpCode.exists, { stat: STAT }),
            ...encodeNotification(6n, {
              type: EventType.nodeDeleted,
              state: KeeperState.syncConnected,
              path: '/p',
            }),
          ]),
        );
      } else if (type === OpCode.closeSession) {
        socket.end(Buffer.concat(encodeResponse(xid, 7n, 0, OpCode.closeSession, null)));
      }
    });
    const client = await ZooKeeperClient.connect({ connectString: `127.0.0.1:${server.port}` });
    try {
      const events: string[] = [];
      const fired = new Promise<void>((resolve) => {
        void client.exists('/p', {
          watch: (e) => {
            events.push(`${e.type} ${e.path}`);
            resolve();
          },
        });
      });
      const timeout = new Promise<'lost'>((resolve) => setTimeout(() => resolve('lost'), 2000).unref());
      assert.notEqual(await Promise.race([fired, timeout]), 'lost', 'the watch event was dropped');
      assert.equal(events.length, 1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
