/**
 * Captures ZooKeeper frames for the golden-byte fixtures of the codecs (src/zookeeper/protocol/fixtures).
 *
 *   node tools/jute-codegen/kazoo-capture.ts                          # fake server
 *   node tools/jute-codegen/kazoo-capture.ts --zookeeper host:port    # a real ZooKeeper
 *
 * Both run kazoo-session.py. Without options it talks to a scripted fake server built on
 * src/zookeeper/protocol (canned answers, no data tree), and the client frames go to
 * kazoo-2.8.0.txt; the run also proves kazoo accepts the replies our encoders produce
 * (kazoo-capture.test.ts checks what the script printed). With --zookeeper it talks to a real server
 * through a recording proxy, and both directions go to zookeeper-<version>-kazoo-2.8.0.txt.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { MultiResult, Stat, ZooRequest } from '../../src/zookeeper/protocol/index.ts';
import {
  decodeConnectRequest,
  decodeRequest,
  encodeConnectResponse,
  encodeResponse,
  OpCode,
  ZooErrorCode,
} from '../../src/zookeeper/protocol/index.ts';

export const PYTHON = '/usr/bin/python3';
export const FIXTURE_DIR = resolvePath(import.meta.dirname, '../../src/zookeeper/protocol/fixtures');
export const FIXTURE_FILE = resolvePath(FIXTURE_DIR, 'kazoo-2.8.0.txt');
const SCRIPT = resolvePath(import.meta.dirname, 'kazoo-session.py');
const SESSION_ID = 0x100000a1b2c3d4n;

export interface Capture {
  /** The client's frames (without length prefixes), the ConnectRequest first, pings left out. */
  frames: Buffer[];
  /** What the script printed. */
  output: string;
}

/** Whether python3-kazoo is importable by the system Python. */
export function kazooAvailable(): boolean {
  return existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/kazoo/__init__.py');
}

function stat(zxid: bigint, version: number): Stat {
  return {
    czxid: 2n,
    mzxid: zxid,
    ctime: 1_700_000_000_000n,
    mtime: 1_700_000_000_000n + zxid,
    version,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: SESSION_ID,
    dataLength: 2,
    numChildren: 0,
    pzxid: 2n,
  };
}

/** The canned answer to one request, as length-prefixed chunks. */
function answer(req: ZooRequest, zxid: bigint): Buffer[] {
  const { xid } = req;
  switch (req.type) {
    case OpCode.create:
      return encodeResponse(xid, zxid, 0, req.type, { path: req.body.path });
    case OpCode.getData:
      return encodeResponse(xid, zxid, 0, req.type, { data: Buffer.from('hi'), stat: stat(2n, 1) });
    case OpCode.setData:
      return encodeResponse(xid, zxid, 0, req.type, { stat: stat(zxid, 2) });
    case OpCode.getChildren:
      return encodeResponse(xid, zxid, 0, req.type, { children: ['zookeeper', 'app'] });
    case OpCode.exists:
      return encodeResponse(xid, zxid, ZooErrorCode.NONODE, req.type, null);
    case OpCode.multi: {
      const results: MultiResult[] = req.body.ops.map((op): MultiResult => {
        if (op.type === OpCode.create) return { type: op.type, body: { path: op.body.path } };
        if (op.type === OpCode.check || op.type === OpCode.delete) return { type: op.type, body: null };
        return { type: OpCode.error, body: { err: ZooErrorCode.UNIMPLEMENTED } };
      });
      return encodeResponse(xid, zxid, 0, req.type, { results });
    }
    case OpCode.delete:
    case OpCode.ping:
    case OpCode.closeSession:
      return encodeResponse(xid, zxid, 0, req.type, null);
    default:
      return encodeResponse(xid, zxid, ZooErrorCode.UNIMPLEMENTED, req.type, null);
  }
}

function serve(socket: Socket, frames: Buffer[]): void {
  let connected = false;
  let zxid = 2n;
  socket.on(
    'data',
    frameSplitter((frame) => {
      if (!connected) {
        connected = true;
        frames.push(frame);
        const { message, hasReadOnly } = decodeConnectRequest(frame);
        const reply = {
          protocolVersion: 0,
          timeOut: message.timeOut,
          sessionId: SESSION_ID,
          passwd: Buffer.alloc(16, 7),
          readOnly: false,
        };
        socket.write(Buffer.concat(encodeConnectResponse(reply, hasReadOnly)));
        return;
      }
      const req = decodeRequest(frame);
      if (!req.known) {
        socket.destroy();
        return;
      }
      if (req.type !== OpCode.ping) frames.push(frame);
      if (req.type === OpCode.create || req.type === OpCode.setData || req.type === OpCode.multi) zxid++;
      socket.write(Buffer.concat(answer(req, zxid)));
      if (req.type === OpCode.closeSession) socket.end();
    }),
  );
  socket.on('error', () => {});
}

/** Runs kazoo-session.py against 127.0.0.1:port; resolves with what it printed. */
function runSession(port: number): Promise<string> {
  return new Promise<string>((done, fail) => {
    const child = spawn(PYTHON, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done(out) : fail(new Error(`kazoo session exited ${code}: ${err}`)),
    );
  });
}

async function withServer<T>(server: Server, run: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  try {
    return await run(typeof address === 'object' && address !== null ? address.port : 0);
  } finally {
    server.close();
  }
}

/** Runs the kazoo session once against the fake server. */
export async function captureKazooSession(): Promise<Capture> {
  const frames: Buffer[] = [];
  const output = await withServer(
    createServer((socket) => serve(socket, frames)),
    runSession,
  );
  return { frames, output };
}

/** Splits a byte stream into length-prefixed frames, calling `onFrame` with each payload. */
function frameSplitter(onFrame: (frame: Buffer) => void): (data: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const n = pending.readInt32BE(0);
      onFrame(Buffer.from(pending.subarray(4, 4 + n)));
      pending = pending.subarray(4 + n);
    }
  };
}

/** A frame and its direction: `>` client to server, `<` server to client. */
export interface DirectedFrame {
  direction: '>' | '<';
  frame: Buffer;
}

/** Runs the kazoo session through a proxy to a real ZooKeeper, recording both directions. */
export async function captureRealSession(
  host: string,
  port: number,
): Promise<{ frames: DirectedFrame[]; output: string }> {
  const frames: DirectedFrame[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(port, host);
    const record = (direction: '>' | '<') => frameSplitter((frame) => frames.push({ direction, frame }));
    const fromClient = record('>');
    const fromServer = record('<');
    client.on('data', (d) => {
      fromClient(d);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      fromServer(d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const output = await withServer(proxy, runSession);
  return { frames, output };
}

/** The fixture format: one frame per line as hex, `#` comments. */
export function formatFixture(frames: readonly Buffer[]): string {
  const head =
    '# python3-kazoo 2.8.0 client frames (without length prefix), captured by tools/jute-codegen/kazoo-capture.ts\n';
  return head + frames.map((f) => `${f.toString('hex')}\n`).join('');
}

/** The real-server fixture format: `> hex` (client to server) or `< hex` per frame, `#` comments. */
export function formatDirectedFixture(
  frames: readonly DirectedFrame[],
  source: string,
  tool = 'tools/jute-codegen/kazoo-capture.ts',
): string {
  const head = `# ${source}, both directions (without length prefixes), captured by ${tool}\n`;
  return head + frames.map((f) => `${f.direction} ${f.frame.toString('hex')}\n`).join('');
}

if (import.meta.main) {
  const at = process.argv.indexOf('--zookeeper');
  if (at >= 0) {
    const [host = '127.0.0.1', port = '2181'] = (process.argv[at + 1] ?? '').split(':');
    const version = process.argv[process.argv.indexOf('--version') + 1] ?? 'unknown';
    const { frames, output } = await captureRealSession(host, Number(port));
    const file = resolvePath(FIXTURE_DIR, `zookeeper-${version}-kazoo-2.8.0.txt`);
    writeFileSync(file, formatDirectedFixture(frames, `Apache ZooKeeper ${version} and python3-kazoo 2.8.0`));
    process.stdout.write(output);
    console.log(`kazoo-capture: ${frames.length} frames written to ${file}`);
  } else {
    const { frames, output } = await captureKazooSession();
    writeFileSync(FIXTURE_FILE, formatFixture(frames));
    process.stdout.write(output);
    console.log(`kazoo-capture: ${frames.length} frames written to ${FIXTURE_FILE}`);
  }
}
