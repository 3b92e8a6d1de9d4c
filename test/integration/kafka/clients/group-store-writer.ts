// Child process of group-store-crash.test.ts: opens a PartitionManager and a DurableGroupStore in
// <dir> and writes to the store from several concurrent workers without end, each worker owning its
// keys. Before each write it prints `try <key> <value>`, once the write has resolved (fsynced)
// `ack <key> <value>`; value `-` is a deletion. The parent SIGKILLs it at a random moment and checks
// that every key holds its last acknowledged value (or the one in flight).
// Usage: group-store-writer.ts <dir> <run> <partitions>
import { DurableGroupStore } from '../../../../src/kafka/broker/group/durable-group-store.ts';
import { PartitionManager } from '../../../../src/kafka/broker/partition-manager.ts';
import { MemoryLogger } from '../../../../src/telemetry/index.ts';

const [dir, runText, partitionsText] = process.argv.slice(2);
if (!dir || !runText || !partitionsText)
  throw new Error('usage: group-store-writer.ts <dir> <run> <partitions>');
const run = Number(runText);
const logger = new MemoryLogger('silent');
const partitions = await PartitionManager.open({ nodeId: 1, logDirs: [dir], logger });
const store = new DurableGroupStore({
  partitions,
  partitionCount: Number(partitionsText),
  logger,
  now: Date.now,
});
await store.open();
await store.load();
process.stdout.write('ready\n');

const say = (line: string) => process.stdout.write(`${line}\n`);
const WORKERS = 4;

async function worker(w: number): Promise<never> {
  for (let i = 0; ; i++) {
    // Values grow across runs, so a value names one write.
    const value = run * 1_000_000 + i;
    const group = `g${w}-${i % 5}`;
    const topic = `t${i % 2}`;
    const partition = i % 3;
    if (i % 11 === 10) {
      const key = `o|${group}|${topic}|${partition}`;
      say(`try ${key} -`);
      await store.deleteOffsets(group, [{ topic, partition }]);
      say(`ack ${key} -`);
    } else if (i % 7 === 6) {
      const key = `c|${group}`;
      say(`try ${key} ${value}`);
      await store.storeClassicGroup({
        groupId: group,
        protocolType: 'consumer',
        generationId: value,
        protocolName: 'range',
        leader: 'm',
        currentStateTimestamp: value,
        members: [
          {
            memberId: 'm',
            groupInstanceId: null,
            clientId: 'c',
            clientHost: '/127.0.0.1',
            rebalanceTimeoutMs: 1000,
            sessionTimeoutMs: 1000,
            subscription: Buffer.from('s'),
            assignment: Buffer.from(String(value)),
          },
        ],
      });
      say(`ack ${key} ${value}`);
    } else {
      const key = `o|${group}|${topic}|${partition}`;
      say(`try ${key} ${value}`);
      await store.commitOffsets(group, [
        {
          topic,
          partition,
          offset: value,
          leaderEpoch: 0,
          metadata: `v${value}`,
          commitTimestamp: value,
          expireTimestamp: null,
        },
      ]);
      // Pipes are written synchronously on Linux: once this returns, the parent will see the line.
      say(`ack ${key} ${value}`);
    }
  }
}

await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
