import type { Consumer } from '@platformatic/kafka';

/**
 * The event ids (value of record header `header`) of the last `window` records of every partition
 * of `topic`: what the exactly-once Kafka sink checks before its first send to a topic after a
 * (re)start. Read with plain Fetch requests to each partition's leader, outside any group.
 * Errors propagate: an unreadable tail must stop the send (the batch rolls back), never be taken
 * for an empty one.
 */
export async function readRecentIds(
  client: Consumer,
  topic: string,
  window: number,
  header: string,
): Promise<{ ids: string[]; partitions: number }> {
  const md = await client.metadata({ topics: [topic], autocreateTopics: true, forceUpdate: true });
  const t = md.topics.get(topic);
  if (t === undefined) throw new Error(`no metadata for topic ${topic}`);
  const [latest, earliest] = await Promise.all([
    client.listOffsets({ topics: [topic], timestamp: -1n }),
    client.listOffsets({ topics: [topic], timestamp: -2n }),
  ]);
  const ends = latest.get(topic) ?? [];
  const starts = earliest.get(topic) ?? [];
  const ids: string[] = [];
  const wanted = Buffer.from(header, 'utf8');
  for (let p = 0; p < t.partitionsCount; p++) {
    const end = ends[p] ?? 0n;
    const start = starts[p] ?? 0n;
    let from = end - BigInt(window) > start ? end - BigInt(window) : start;
    const leader = t.partitions[p]?.leader;
    if (leader === undefined) throw new Error(`no leader for ${topic}-${p}`);
    let emptyFetches = 0;
    while (from < end) {
      const res = await client.fetch({
        node: leader,
        minBytes: 1,
        maxBytes: 8 << 20,
        maxWaitTime: 100,
        topics: [
          {
            topicId: t.id,
            partitions: [
              {
                partition: p,
                currentLeaderEpoch: -1,
                fetchOffset: from,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 8 << 20,
              },
            ],
          },
        ],
      });
      const part = res.responses[0]?.partitions[0];
      if (part === undefined) throw new Error(`empty fetch response for ${topic}-${p}`);
      if (part.errorCode !== 0)
        throw new Error(`fetch ${topic}-${p} failed with error code ${part.errorCode}`);
      let next = from;
      for (const batch of part.records ?? []) {
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < from || offset >= end) continue;
          next = offset + 1n;
          for (const [k, v] of r.headers) {
            if (k !== null && v !== null && k.equals(wanted)) ids.push(v.toString('utf8'));
          }
        }
        // Compaction or aborted transactions can leave gaps; continue after the batch.
        const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (batchEnd > next) next = batchEnd;
      }
      if (next === from) {
        if (++emptyFetches > 20) throw new Error(`cannot read ${topic}-${p} from offset ${from}`);
        continue;
      }
      emptyFetches = 0;
      from = next;
    }
  }
  return { ids, partitions: t.partitionsCount };
}

/** A bounded set of recently written ids: the oldest are forgotten first. */
export class RecentIds {
  readonly #limit: number;
  readonly #ids = new Set<string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    // Sets iterate in insertion order, so the first entry is the oldest.
    while (this.#ids.size > this.#limit) this.#ids.delete(this.#ids.values().next().value as string);
  }

  get size(): number {
    return this.#ids.size;
  }
}
