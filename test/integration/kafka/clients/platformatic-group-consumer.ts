// One @platformatic/kafka consumer-group member, for the groups-*.test.ts tests (run as its own
// process: `node platformatic-group-consumer.ts`, one JSON request on stdin, JSON lines on stdout).
//
// Same request and output as confluent_group_consumer.py. The client streams records one at a
// time, so each record is its own batch: printed, "processed" for batch_delay_ms / max_batch, and
// committed synchronously (OffsetCommit) before the next is read. It has no revoke callback: every
// `consumer:group:join` event carries the member's whole new assignment and the generation.
// A static member (instance_id) is killed rather than closed in the tests: its close() sends a
// LeaveGroup, which ends a static membership too.
import { createInterface } from 'node:readline';
import { Consumer } from '@platformatic/kafka';

interface Request {
  bootstrap: string;
  topic: string;
  group: string;
  name: string;
  session_timeout_ms?: number;
  heartbeat_ms?: number;
  instance_id?: string;
  max_batch?: number;
  batch_delay_ms?: number;
}

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, t: Date.now() })}\n`);
}

const lines = createInterface({ input: process.stdin });
const req = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as Request;
lines.close();

const consumer = new Consumer({
  clientId: req.name,
  groupId: req.group,
  bootstrapBrokers: [req.bootstrap],
  sessionTimeout: req.session_timeout_ms ?? 6000,
  rebalanceTimeout: 20000,
  heartbeatInterval: req.heartbeat_ms ?? 500,
  ...(req.instance_id ? { groupInstanceId: req.instance_id } : {}),
  retries: 20,
  retryDelay: 100,
});
// The stream keeps handing out records it fetched before a rebalance, and re-positions kept
// partitions at the committed offset some time after the join. As a careful application does, the
// program skips records of partitions it no longer owns and records of a kept partition it has
// already processed (both printed as `dropped`). Newly assigned partitions are taken as they come,
// so where each owner starts is still what the broker's committed offsets say.
let owned = new Set<number>();
const nextOffset = new Map<number, number>();
consumer.on(
  'consumer:group:join',
  (e: { generationId: number; assignments?: { topic: string; partitions: number[] }[] }) => {
    const mine = (e.assignments ?? []).filter((a) => a.topic === req.topic).flatMap((a) => a.partitions);
    owned = new Set(mine);
    for (const p of [...nextOffset.keys()]) if (!owned.has(p)) nextOffset.delete(p);
    say({
      e: 'assigned',
      partitions: mine.sort((a, b) => a - b),
      generation: e.generationId,
      incremental: false,
    });
  },
);

const stream = await consumer.consume({
  topics: [req.topic],
  mode: 'committed',
  fallbackMode: 'earliest',
  autocommit: false,
  maxWaitTime: 100,
});
say({ e: 'subscribed' });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await stream.close();
    await consumer.close(true);
    say({ e: 'closed' });
    process.exit(0);
  })();
});

const perRecordDelay = (req.batch_delay_ms ?? 20) / (req.max_batch ?? 10);
for await (const m of stream) {
  if (stopping) break;
  const partition = m.partition;
  const offset = Number(m.offset);
  if (!owned.has(partition) || offset < (nextOffset.get(partition) ?? 0)) {
    say({ e: 'dropped', records: [[partition, offset]] });
    continue;
  }
  nextOffset.set(partition, offset + 1);
  say({ e: 'batch', records: [[partition, offset, String(m.key), String(m.value)]] });
  await new Promise((r) => setTimeout(r, perRecordDelay));
  try {
    await consumer.commit({
      offsets: [{ topic: req.topic, partition, offset: m.offset + 1n, leaderEpoch: -1 }],
    });
    say({ e: 'committed', offsets: [[partition, offset + 1]] });
  } catch (err) {
    say({ e: 'commit_failed', error: String(err) });
  }
}
