import { ErrorCode } from '../protocol/index.ts';

/** Kafka keeps the last 5 batches per producer (the most a client has in flight) for dedup. */
export const BATCHES_RETAINED = 5;
const SEQUENCE_MAX = 0x7fffffff;

/** One appended batch of a producer, as remembered for duplicate detection. */
export interface BatchRange {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** Append time (ms) reported when this batch was first acknowledged (-1 for CreateTime). */
  readonly logAppendTime: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most BATCHES_RETAINED. */
  batches: BatchRange[];
  /** Wall-clock time of the last append (producer.id.expiration.ms counts from it). */
  lastUpdateMs: number;
}

/** What the producer fields of an incoming batch mean for the partition. */
export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly batch: BatchRange }
  | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

export interface BatchProducerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** lastOffsetDelta: the batch covers sequences baseSequence..baseSequence+lastOffsetDelta. */
  readonly lastOffsetDelta: number;
}

function lastSequenceOf(b: BatchProducerFields): number {
  const last = b.baseSequence + b.lastOffsetDelta;
  return last > SEQUENCE_MAX ? last - SEQUENCE_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === SEQUENCE_MAX ? 0 : seq + 1;
}

/** The JSON form of a partition's producer state (see PartitionProducerState.snapshot). */
export interface ProducerStateSnapshot {
  readonly version: 1;
  /** The state covers every batch below this offset. */
  readonly offset: number;
  readonly producers: readonly ProducerEntry[];
}

/**
 * The idempotent-producer state of one partition (Kafka's ProducerStateManager, without
 * transactions): per producer id its epoch and the sequence ranges and offsets of its last 5
 * batches. An incoming batch is checked before it is written: a retry of a retained batch is a
 * duplicate (acknowledged with the original offsets, not written again); a gap in the sequence is
 * OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is INVALID_PRODUCER_EPOCH; a newer epoch must start
 * at sequence 0. A producer with no state (new, expired, or removed with the log prefix holding its
 * batches) may start at any sequence, as in Kafka.
 */
export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  check(b: BatchProducerFields): SequenceCheck {
    if (b.producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(b.producerId);
    if (entry === undefined) return { kind: 'append' };
    if (b.producerEpoch < entry.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${b.producerId} epoch ${b.producerEpoch} is older than the current epoch ${entry.epoch}`,
      };
    }
    const lastSeq = lastSequenceOf(b);
    if (b.producerEpoch > entry.epoch) {
      if (b.baseSequence !== 0) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${b.producerId} epoch ${b.producerEpoch} is new, its first sequence must be 0 (got ${b.baseSequence})`,
        };
      }
      return { kind: 'append' };
    }
    for (const batch of entry.batches) {
      if (batch.firstSeq === b.baseSequence && batch.lastSeq === lastSeq) return { kind: 'duplicate', batch };
    }
    const newest = entry.batches.at(-1);
    if (newest !== undefined && b.baseSequence !== nextSequence(newest.lastSeq)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${b.producerId}: expected sequence ${nextSequence(newest.lastSeq)}, got ${b.baseSequence}`,
      };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (after `check` said append, or while replaying the log). */
  record(
    b: BatchProducerFields,
    firstOffset: number,
    lastOffset: number,
    logAppendTime: number,
    nowMs: number,
  ): void {
    if (b.producerId < 0) return;
    let entry = this.producers.get(b.producerId);
    if (entry === undefined) {
      entry = { producerId: b.producerId, epoch: b.producerEpoch, batches: [], lastUpdateMs: nowMs };
      this.producers.set(b.producerId, entry);
    }
    if (b.producerEpoch !== entry.epoch) {
      entry.epoch = b.producerEpoch;
      entry.batches = [];
    }
    entry.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: lastSequenceOf(b),
      firstOffset,
      lastOffset,
      logAppendTime,
    });
    if (entry.batches.length > BATCHES_RETAINED) entry.batches.shift();
    entry.lastUpdateMs = nowMs;
  }

  /** Forgets producers idle for longer than `expirationMs` (producer.id.expiration.ms). */
  expire(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (nowMs - e.lastUpdateMs > expirationMs) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Forgets batches below `offset` (DeleteRecords, retention), and producers left with none. */
  truncateHead(offset: number): void {
    for (const [id, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset >= offset);
      if (e.batches.length === 0) this.producers.delete(id);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  snapshot(offset: number): ProducerStateSnapshot {
    return {
      version: 1,
      offset,
      producers: [...this.producers.values()].map((e) => ({ ...e, batches: [...e.batches] })),
    };
  }

  restore(s: ProducerStateSnapshot): void {
    this.producers.clear();
    for (const e of s.producers) this.producers.set(e.producerId, { ...e, batches: [...e.batches] });
  }
}
