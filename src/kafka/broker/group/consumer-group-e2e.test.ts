import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, type MessagesStream, Producer } from '@platformatic/kafka';
import { overridesLayer } from '../../../config/index.ts';
import { MemoryLogger } from '../../../telemetry/index.ts';
import type { ApiVersionsResponse, ConsumerGroupDescribeResponse } from '../../protocol/index.ts';
import { Broker } from '../broker.ts';
import { resolveBrokerConfig } from '../broker-config.ts';
import { RawClient } from '../raw-client.ts';

/**
 * KIP-848 end to end: @platformatic/kafka 1.35 consumers with `groupProtocol: 'consumer'`
 * (ConsumerGroupHeartbeat v1, client-generated member ids, server-side "uniform" assignment)
 * against an in-process broker. Skipped while the broker does not list ConsumerGroupHeartbeat.
 */

type Assignment = { topic: string; partitions: number[] }[];

function owned(c: Consumer<Buffer, Buffer, Buffer, Buffer>, topic: string): number[] {
  const a = (c.assignments ?? []) as Assignment;
  return a
    .filter((x) => x.topic === topic)
    .flatMap((x) => x.partitions)
    .sort((x, y) => x - y);
}

/**
 * Polls `condition` until it holds, running `invariant` at every poll. The bound only turns a
 * hang into a failure; nothing is asserted about speed.
 */
async function until(
  what: string,
  condition: () => boolean,
  invariant: () => void = () => {},
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    invariant();
    if (condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('KIP-848 consumer groups with @platformatic/kafka (groupProtocol: consumer)', () => {
  const logger = new MemoryLogger('warn');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-kip848-e2e-'));
  let broker: Broker;
  let port: number;

  before(async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        'node.id=1',
        `log.dirs=${dataDir}`,
        'offsets.topic.num.partitions=3',
        // Rebalances take a few heartbeats; Kafka's 5 s interval would only make the test slow.
        'group.consumer.heartbeat.interval.ms=500',
      ]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    port = broker.address().port;
    const raw = await RawClient.open(port);
    const versions = await raw.call<ApiVersionsResponse>(18, 3, 1, {
      clientSoftwareName: 'kip848-e2e',
      clientSoftwareVersion: '1',
    });
    raw.socket.end();
    assert.ok(
      versions.apiKeys.some((k) => k.apiKey === 68),
      'ApiVersions lists ConsumerGroupHeartbeat',
    );
  });

  after(async () => {
    await broker?.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('two consumers split a topic without sharing a partition; a leaver hands its partitions over', async () => {
    const topic = 'kip848-orders';
    const groupId = 'kip848-group';
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    const admin = new Admin({ clientId: 'kip848-admin', bootstrapBrokers });
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'kip848-producer',
      bootstrapBrokers,
    });
    const consumers: Consumer<Buffer, Buffer, Buffer, Buffer>[] = [];
    const streams: MessagesStream<Buffer, Buffer, Buffer, Buffer>[] = [];
    const raw = await RawClient.open(port);
    try {
      await admin.createTopics({ topics: [topic], partitions: 6, replicas: 1 });
      await producer.send({
        messages: Array.from({ length: 60 }, (_, i) => ({
          topic,
          partition: i % 6,
          key: Buffer.from(`k${i}`),
          value: Buffer.from(`v${i}`),
        })),
      });

      const seen = new Set<string>();
      const join = async (name: string) => {
        const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
          clientId: name,
          groupId,
          bootstrapBrokers,
          groupProtocol: 'consumer',
          retries: 20,
          retryDelay: 100,
        });
        consumers.push(c);
        const s = await c.consume({
          topics: [topic],
          mode: 'committed',
          fallbackMode: 'earliest',
          autocommit: 200,
          maxWaitTime: 100,
        });
        s.on('data', (m) => seen.add(`${m.partition}/${m.offset}`));
        streams.push(s);
        return c;
      };
      const exclusive = () => {
        const all = consumers.flatMap((c) => owned(c, topic));
        assert.equal(new Set(all).size, all.length, `a partition owned twice: ${JSON.stringify(all)}`);
      };

      const c1 = await join('kip848-c1');
      await until('c1 owns all 6 partitions', () => owned(c1, topic).length === 6, exclusive);

      const c2 = await join('kip848-c2');
      await until(
        'c1 and c2 own 3 partitions each',
        () => owned(c1, topic).length === 3 && owned(c2, topic).length === 3,
        exclusive,
      );
      await until('all 60 records consumed', () => seen.size === 60, exclusive);

      // Auto-commits carry the member epoch (OffsetCommit v9) and must be accepted.
      let committed = 0n;
      for (let i = 0; i < 600 && committed !== 60n; i++) {
        const [offsets] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
        committed = (offsets?.topics ?? [])
          .filter((x) => x.name === topic)
          .flatMap((x) => x.partitions)
          .reduce((sum, p) => sum + (p.committedOffset > 0n ? p.committedOffset : 0n), 0n);
        if (committed !== 60n) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(committed, 60n, 'every partition committed up to its end');

      const describe = async () => {
        const r = await raw.call<ConsumerGroupDescribeResponse>(69, 0, 2, {
          groupIds: [groupId],
          includeAuthorizedOperations: false,
        });
        const g = r.groups[0];
        assert.ok(g !== undefined);
        assert.equal(g.errorCode, 0, g.errorMessage ?? '');
        return g;
      };
      let g = await describe();
      for (let i = 0; i < 200 && g.groupState !== 'Stable'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        g = await describe();
      }
      assert.equal(g.groupState, 'Stable');
      assert.equal(g.assignorName, 'uniform');
      assert.equal(g.members.length, 2);
      for (const m of g.members) {
        assert.equal(m.memberEpoch, g.assignmentEpoch);
        const client = consumers.find((c) => c.memberId === m.memberId);
        assert.ok(client !== undefined, `member ${m.memberId} is one of ours`);
        assert.deepEqual(
          m.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b),
          owned(client, topic),
        );
        assert.deepEqual(m.subscribedTopicNames, [topic]);
      }

      // c2 leaves (ConsumerGroupHeartbeat with epoch -1): c1 takes everything back.
      await streams[1]?.close();
      await c2.close();
      consumers.splice(1, 1);
      await until('c1 owns all 6 partitions again', () => owned(c1, topic).length === 6, exclusive);
      g = await describe();
      assert.equal(g.members.length, 1);
      assert.equal(g.members[0]?.memberId, c1.memberId);

      // c1 goes on from the committed offsets of the partitions it took over.
      await producer.send({
        messages: Array.from({ length: 12 }, (_, i) => ({
          topic,
          partition: i % 6,
          key: Buffer.from(`k${60 + i}`),
          value: Buffer.from(`v${60 + i}`),
        })),
      });
      await until('all 72 records consumed', () => seen.size === 72, exclusive);
    } finally {
      raw.socket.end();
      for (const s of streams) {
        try {
          await s.close();
        } catch {
          // Already closed.
        }
      }
      for (const c of consumers) {
        try {
          await c.close();
        } catch {
          // Already closed.
        }
      }
      await producer.close();
      await admin.close();
    }
  });
});
