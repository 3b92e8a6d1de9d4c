/**
 * Captures a real ZooKeeper's replies to requests built with our client-side encoders, including
 * the forms kazoo does not exercise: the 44-byte ConnectRequest (no readOnly), error replies, a
 * failed multi, multiRead, getChildren2, getACL, create2 and whoAmI.
 *
 *   node tools/jute-codegen/zookeeper-capture.ts host:port version
 *
 * Writes src/zookeeper/protocol/fixtures/zookeeper-<version>-codec-session.txt (`>`/`<` per frame).
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { RequestBodies, RequestType } from '../../src/zookeeper/protocol/index.ts';
import {
  CreateMode,
  encodeConnectRequest,
  encodeRequest,
  OpCode,
  Perms,
} from '../../src/zookeeper/protocol/index.ts';
import { type DirectedFrame, FIXTURE_DIR, formatDirectedFixture } from './kazoo-capture.ts';

const openAcl = [{ perms: Perms.all, id: { scheme: 'world', id: 'anyone' } }];

type Step = { [K in RequestType]: [K, RequestBodies[K]] }[RequestType];

const steps: Step[] = [
  [OpCode.create, { path: '/x', data: Buffer.from('v'), acl: openAcl, flags: CreateMode.persistent }],
  [OpCode.create, { path: '/x', data: null, acl: openAcl, flags: CreateMode.persistent }],
  [OpCode.create2, { path: '/s-', data: null, acl: openAcl, flags: CreateMode.ephemeralSequential }],
  [
    OpCode.multi,
    {
      ops: [
        { type: OpCode.create, body: { path: '/y', data: null, acl: openAcl, flags: 0 } },
        { type: OpCode.check, body: { path: '/x', version: 5 } },
        { type: OpCode.delete, body: { path: '/x', version: -1 } },
      ],
    },
  ],
  [
    OpCode.multiRead,
    {
      ops: [
        { type: OpCode.getData, body: { path: '/x', watch: false } },
        { type: OpCode.getChildren, body: { path: '/nope', watch: false } },
      ],
    },
  ],
  [OpCode.getChildren2, { path: '/', watch: true }],
  [OpCode.getACL, { path: '/x' }],
  [OpCode.setData, { path: '/x', data: Buffer.from('w'), version: 7 }],
  [OpCode.exists, { path: '/x', watch: false }],
  [OpCode.whoAmI, null],
  [OpCode.delete, { path: '/x', version: 0 }],
  [OpCode.closeSession, null],
];

export async function captureCodecSession(host: string, port: number): Promise<DirectedFrame[]> {
  const frames: DirectedFrame[] = [];
  const socket = connect(port, host);
  let pending = Buffer.alloc(0);
  let waiting: ((frame: Buffer) => void) | null = null;
  const queue: Buffer[] = [];
  socket.on('data', (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const n = pending.readInt32BE(0);
      const frame = Buffer.from(pending.subarray(4, 4 + n));
      pending = pending.subarray(4 + n);
      frames.push({ direction: '<', frame });
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(frame);
      } else queue.push(frame);
    }
  });
  const next = () =>
    new Promise<Buffer>((done) => {
      const f = queue.shift();
      if (f) done(f);
      else waiting = done;
    });
  const send = (chunks: Buffer[]) => {
    const bytes = Buffer.concat(chunks);
    frames.push({ direction: '>', frame: bytes.subarray(4) });
    socket.write(bytes);
  };
  send(
    encodeConnectRequest(
      {
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: 6000,
        sessionId: 0n,
        passwd: Buffer.alloc(16),
        readOnly: false,
      },
      false,
    ),
  );
  await next();
  let xid = 1;
  for (const [type, body] of steps) {
    send(encodeRequest(xid, type, body as never));
    // Skip notifications (xid -1) until the reply to this request arrives.
    while ((await next()).readInt32BE(0) !== xid);
    xid++;
  }
  socket.end();
  return frames;
}

if (import.meta.main) {
  const [host = '127.0.0.1', port = '2181'] = (process.argv[2] ?? '').split(':');
  const version = process.argv[3] ?? 'unknown';
  const frames = await captureCodecSession(host, Number(port));
  const file = resolvePath(FIXTURE_DIR, `zookeeper-${version}-codec-session.txt`);
  const source = `Apache ZooKeeper ${version} and requests encoded by Sluice`;
  writeFileSync(file, formatDirectedFixture(frames, source, 'tools/jute-codegen/zookeeper-capture.ts'));
  console.log(`zookeeper-capture: ${frames.length} frames written to ${file}`);
}
