// One kafkajs 2.2.4 consumer-group member, for the groups-*.test.ts tests (run as its own process:
// `node kafkajs-group-consumer.ts`, one JSON request on stdin, JSON lines on stdout).
//
// Same request and output as confluent_group_consumer.py: eachBatch takes the fetched batch in
// slices of at most max_batch records, "processes" each for batch_delay_ms, then resolves and
// commits it synchronously. kafkajs has no revoke callback (eager protocol: every join replaces the
// whole assignment) and does not expose the generation: the generation is read from its internal
// ConsumerGroup object, caught when the consumer connects it (read only).
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';

interface Request {
  bootstrap: string;
  topic: string;
  group: string;
  name: string;
  session_timeout_ms?: number;
  heartbeat_ms?: number;
  max_batch?: number;
  batch_delay_ms?: number;
}

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, t: Date.now() })}\n`);
}

const require = createRequire(import.meta.url);
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
  prototype: { connect(this: { generationId: number | null }): Promise<void> };
};
let group: { generationId: number | null } | null = null;
const connect = ConsumerGroup.prototype.connect;
ConsumerGroup.prototype.connect = function (this: { generationId: number | null }) {
  group = this;
  return connect.call(this);
};

// The committed offsets the broker answered (OffsetFetch), printed as evidence for failures.
const Broker = require('kafkajs/src/broker/index.js') as {
  prototype: { offsetFetch(this: unknown, req: unknown): Promise<unknown> };
};
const offsetFetch = Broker.prototype.offsetFetch;
Broker.prototype.offsetFetch = async function (this: unknown, req: unknown) {
  const res = (await offsetFetch.call(this, req)) as {
    responses: { topic: string; partitions: { partition: number; offset: string }[] }[];
  };
  say({
    e: 'offset_fetch',
    offsets: res.responses.flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)])),
  });
  return res;
};

const lines = createInterface({ input: process.stdin });
const req = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as Request;
lines.close();

const kafka = new Kafka({
  brokers: [req.bootstrap],
  clientId: req.name,
  logLevel: logLevel.NOTHING,
  retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
});
const consumer = kafka.consumer({
  groupId: req.group,
  sessionTimeout: req.session_timeout_ms ?? 6000,
  rebalanceTimeout: 20000,
  heartbeatInterval: req.heartbeat_ms ?? 500,
  maxWaitTimeInMs: 100,
  metadataMaxAge: 2000,
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const assigned = e.payload.memberAssignment[req.topic] ?? [];
  say({
    e: 'assigned',
    partitions: [...assigned].sort((a, b) => a - b),
    generation: group?.generationId ?? null,
    incremental: false,
  });
});
consumer.on(consumer.events.CRASH, (e) => say({ e: 'error', error: String(e.payload.error) }));

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  // disconnect() waits for the batch being processed, then leaves the group.
  void consumer.disconnect().then(() => {
    say({ e: 'closed' });
    process.exit(0);
  });
});

await consumer.connect();
await consumer.subscribe({ topics: [req.topic], fromBeginning: true });
say({ e: 'subscribed' });
const maxBatch = req.max_batch ?? 10;
const delay = req.batch_delay_ms ?? 20;
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    for (let i = 0; i < batch.messages.length; i += maxBatch) {
      if (!isRunning() || isStale()) return;
      const slice = batch.messages.slice(i, i + maxBatch);
      say({
        e: 'batch',
        records: slice.map((m) => [batch.partition, Number(m.offset), String(m.key), String(m.value)]),
      });
      await new Promise((r) => setTimeout(r, delay));
      const next = Number(slice.at(-1)!.offset) + 1;
      // Once the consumer is stopping, kafkajs's commitOffsets resolves without sending anything:
      // the batch stays uncommitted (the next owner gets it again) and must not be reported as
      // committed. Checked right before the call, in the same tick, so it cannot change between.
      if (!isRunning()) {
        say({ e: 'commit_skipped', offsets: [[batch.partition, next]] });
        return;
      }
      try {
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(next) },
        ]);
        say({ e: 'committed', offsets: [[batch.partition, next]] });
      } catch (err) {
        say({ e: 'commit_failed', error: String(err) });
        // The batch is not resolved: after the rejoin it comes again from the committed offset.
        throw err;
      }
      resolveOffset(slice.at(-1)!.offset);
      await heartbeat();
    }
  },
});
