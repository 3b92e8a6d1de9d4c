import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);
/** The system Python has python3-confluent-kafka and python3-kafka; a pyenv shim may not. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Sends raw bytes on a fresh connection; resolves with what came back once the server closes it. */
function rawExchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Sends one frame and resolves with the first response frame (size prefix removed). */
function requestResponse(port: number, frame: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const s = connect({ host: '127.0.0.1', port }, () => s.write(frame));
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        s.destroy();
        resolve(got.subarray(4, 4 + got.readInt32BE(0)));
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before a response')));
  });
}

/** A request frame with header v1 (or v2 when `flexible`) and the given body bytes. */
function requestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: Buffer,
  flexible: boolean,
): Buffer {
  const clientId = Buffer.from('raw-test');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const parts = [header, clientId, ...(flexible ? [Buffer.from([0])] : []), body];
  const size = Buffer.alloc(4);
  size.writeInt32BE(parts.reduce((n, p) => n + p.length, 0));
  return Buffer.concat([size, ...parts]);
}

describe('broker: Metadata and ApiVersions with real clients', () => {
  let proc: SluiceProcess;
  let port: number;

  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-metadata-'));

  before(async () => {
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));
  });

  after(async () => {
    const code = await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('kcat -L lists this broker with its id, host and port', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-J', '-m', '10'], {
      timeout: 30_000,
    });
    const md = JSON.parse(stdout) as {
      controllerid: number;
      brokers: { id: number; name: string }[];
      topics: unknown[];
    };
    assert.deepEqual(md.brokers, [{ id: 1, name: `127.0.0.1:${port}` }]);
    assert.equal(md.controllerid, 1);
    assert.deepEqual(md.topics, []);
  });

  it('kcat -L -t auto-creates the topic (auto.create.topics.enable) led by this node', async () => {
    const { stdout } = await run(
      'kcat',
      ['-L', '-b', `127.0.0.1:${port}`, '-t', 'auto-created', '-J', '-m', '10'],
      { timeout: 30_000 },
    );
    const md = JSON.parse(stdout) as {
      topics: { topic: string; error?: string; partitions: { partition: number; leader: number }[] }[];
    };
    assert.equal(md.topics.length, 1);
    assert.equal(md.topics[0]!.topic, 'auto-created');
    assert.equal(md.topics[0]!.error, undefined);
    assert.deepEqual(
      md.topics[0]!.partitions.map((p) => [p.partition, p.leader]),
      [[0, 1]],
    );
  });

  it('kafkajs admin describeCluster lists the broker, controller and cluster id', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'it-kafkajs',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: '127.0.0.1', port }]);
      assert.equal(cluster.controller, 1);
      assert.match(cluster.clusterId, /^[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(await admin.listTopics(), ['auto-created']);
    } finally {
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka (Metadata v12) lists the broker', async () => {
    const admin = new Admin({ clientId: 'it-platformatic', bootstrapBrokers: [`127.0.0.1:${port}`] });
    try {
      const md = await admin.metadata({ topics: [] });
      assert.deepEqual([...md.brokers.entries()], [[1, { host: '127.0.0.1', port, rack: null }]]);
      assert.equal(md.controllerId, 1);
      assert.match(md.id, /^[A-Za-z0-9_-]{22}$/);
    } finally {
      await admin.close();
    }
  });

  it('confluent-kafka-python and kafka-python list the broker', async () => {
    const script = `
import json
from confluent_kafka.admin import AdminClient
from kafka import KafkaAdminClient
md = AdminClient({'bootstrap.servers': '127.0.0.1:${port}'}).list_topics(timeout=20)
kp = KafkaAdminClient(bootstrap_servers='127.0.0.1:${port}', request_timeout_ms=20000)
dc = kp.describe_cluster()
kp.close()
print(json.dumps({
  'confluent': [[b.id, b.host, b.port] for b in md.brokers.values()],
  'confluent_controller': md.controller_id,
  'kafka_python': [[b['node_id'], b['host'], b['port']] for b in dc['brokers']],
  'kafka_python_cluster_id': dc['cluster_id'],
}))
`;
    const { stdout } = await run(PYTHON, ['-c', script], { timeout: 60_000 });
    const r = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(r.confluent, [[1, '127.0.0.1', port]]);
    assert.equal(r.confluent_controller, 1);
    assert.deepEqual(r.kafka_python, [[1, '127.0.0.1', port]]);
    assert.match(String(r.kafka_python_cluster_id), /^[A-Za-z0-9_-]{22}$/);
  });

  it('answers ApiVersions v99 with a v0 UNSUPPORTED_VERSION response listing its ranges', async () => {
    const frame = requestFrame(18, 99, 4242, Buffer.from([0x01, 0x01, 0x00]), true);
    const res = await requestResponse(port, frame);
    assert.equal(res.readInt32BE(0), 4242, 'correlation id');
    assert.equal(res.readInt16BE(4), 35, 'UNSUPPORTED_VERSION');
    const n = res.readInt32BE(6);
    const ranges = new Map<number, [number, number]>();
    for (let i = 0; i < n; i++) {
      const at = 10 + i * 6;
      ranges.set(res.readInt16BE(at), [res.readInt16BE(at + 2), res.readInt16BE(at + 4)]);
    }
    assert.equal(res.length, 10 + n * 6, 'a v0 body: no throttle time, no tagged fields');
    assert.deepEqual(ranges.get(18), [0, 4]);
    assert.deepEqual(ranges.get(3), [0, 12]);
  });

  it('closes connections sending garbage, truncated, oversized or unsupported requests; others keep working', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'it-survivor',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal((await admin.describeCluster()).brokers.length, 1);
      const oversized = Buffer.alloc(8);
      oversized.writeInt32BE(200 * 1024 * 1024); // above socket.request.max.bytes (100 MiB)
      const cases: [string, Buffer][] = [
        ['garbage', Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('xyz')])],
        ['negative size', Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4])],
        ['oversized', oversized],
        ['truncated ApiVersions v3 body', requestFrame(18, 3, 1, Buffer.alloc(0), true)],
        ['Metadata body cut short', requestFrame(3, 1, 2, Buffer.from([0, 0, 0, 5, 0]), false)],
        ['unknown api key', requestFrame(999, 0, 3, Buffer.alloc(0), false)],
        ['unsupported Metadata version', requestFrame(3, 13, 4, Buffer.from([0, 0, 0]), true)],
        ['random bytes', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ];
      for (const [what, bytes] of cases) {
        const reply = await rawExchange(port, bytes);
        assert.equal(reply.length, 0, `${what}: no response, connection closed`);
        const cluster = await admin.describeCluster();
        assert.deepEqual(
          cluster.brokers,
          [{ nodeId: 1, host: '127.0.0.1', port }],
          `still serving after ${what}`,
        );
      }
      assert.equal(proc.child.exitCode, null, 'broker process still running');
      const warnings = proc
        .stderr()
        .split('\n')
        .filter((l) => l.includes('closing connection'));
      assert.ok(warnings.length >= cases.length - 1, 'each bad connection is logged');
    } finally {
      await admin.disconnect();
    }
    const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-J', '-m', '10'], {
      timeout: 30_000,
    });
    assert.equal((JSON.parse(stdout) as { brokers: unknown[] }).brokers.length, 1);
  });
});
