import { DecodeError, EncodeError } from '../../../base/index.ts';
import { CloseConnectionError } from '../../../net/index.ts';
import {
  batchRecordsCount,
  convertLegacyToBatch,
  decodeLegacyMessageSet,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  ErrorCode,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  produceApi,
  RECORD_BATCH_MAGIC,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { internalTopicProduceError, isInternalTopic } from '../internal-topics.ts';

/**
 * Produce (key 0), v0-11.
 *
 * v0-2 carry legacy message sets (magic 0/1, Kafka ≤ 0.10 clients). As Kafka 3.x does (it always
 * stores format v2), each partition's message set is checked (CRC-32 of every message, each
 * top-level message within `max.message.bytes`), unwrapped when compressed, and converted to one
 * v2 batch — offsets assigned afresh, magic 0's missing timestamps kept as -1 (NO_TIMESTAMP), the
 * wrapper's codec kept — which then goes through the same checks and append as a v3+ batch. Like
 * Kafka, v0-2 may also carry a v2 batch, appended as is. Version notes: v1 throttle time; v2 log
 * append time; v3 transactional id; v5 logStartOffset; v8 per-record errors and an error message;
 * v9 flexible; v10 current leader / node endpoints (tagged, left empty: this node always leads);
 * v11 nothing new on the broker side.
 *
 * acks: 0 = no response at all (on an error the connection is closed instead, so the client
 * refreshes its metadata, as Kafka does); 1 and -1 answer once the batch is in the log. With an ISR
 * of one, -1 waits for nothing more, and the high watermark is the log end after every append.
 * acks=-1 on a topic whose `min.insync.replicas` exceeds the ISR (1 here) gets NOT_ENOUGH_REPLICAS
 * and nothing is written, as in Kafka. A topic whose `flush.messages` is 1 is fsynced before the answer (storage flushBeforeAck).
 * Produce never creates topics: a missing one is UNKNOWN_TOPIC_OR_PARTITION.
 * Record-level rejections carry Kafka's per-record errors (v8+ `recordErrors` with the index of each
 * record at fault, plus `errorMessage`): a keyless record on a compacted topic → INVALID_RECORD; a
 * CreateTime outside `message.timestamp.{before,after}.max.ms` → INVALID_TIMESTAMP. Nothing of
 * the batch is written.
 */
export const PRODUCE_VERSIONS = { minVersion: 0, maxVersion: 11 } as const;

/** Produce versions whose records may be a legacy message set. */
const LEGACY_VERSIONS_MAX = 2;
/** Where both a legacy message and a v2 batch keep their magic byte. */
const MAGIC_AT = 16;

export function createProduceHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    produceApi,
    PRODUCE_VERSIONS,
    async (request: ProduceRequest, ctx): Promise<ProduceResponse | null> => {
      // The records are views of the request frame. Storage is done with them once each append has
      // resolved (the log writes them, keeps no reference), and every append settles before this
      // handler does (settleAll), so the frame's memory may take in a later request afterwards.
      ctx.connection.releaseFrameWhenSettled?.();
      const acks = request.acks;
      const validAcks = acks === 0 || acks === 1 || acks === -1;
      const legacyAllowed = ctx.header.requestApiVersion <= LEGACY_VERSIONS_MAX;
      const responses = await settleAll(
        request.topicData.map(async (td) => {
          const topic = state.partitions.topic(td.name);
          // The topic's override, else the broker's value (dynamic layers included).
          const config = (name: string): string | undefined =>
            topic?.configs[name] ?? state.topicConfigDefault(name);
          const minInsyncReplicas = Number(config('min.insync.replicas') ?? 1);
          const maxMessageBytes = Number(config('max.message.bytes') ?? state.config.messageBytesMax);
          const limits = { maxMessageBytes, ...timestampBounds(config) };
          const partitionResponses = await settleAll(
            td.partitionData.map(async (pd): Promise<ProduceResponsePartitionProduceResponse> => {
              const base = {
                ...defaultProduceResponsePartitionProduceResponse(),
                index: pd.index,
                baseOffset: -1n,
                logAppendTimeMs: -1n,
                logStartOffset: -1n,
              };
              if (!validAcks) return { ...base, errorCode: ErrorCode.INVALID_REQUIRED_ACKS };
              const partition = topic ? state.partitions.partition(td.name, pd.index) : undefined;
              if (!partition) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
              // Only the group coordinator writes there (Kafka refuses client appends the same way).
              if (isInternalTopic(td.name)) {
                const refused = internalTopicProduceError(td.name);
                return { ...base, errorCode: refused.errorCode, errorMessage: refused.message };
              }
              if (acks === -1 && partition.isr.length < minInsyncReplicas) {
                return {
                  ...base,
                  errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
                  errorMessage: `ISR has ${partition.isr.length} replica(s), min.insync.replicas is ${minInsyncReplicas}`,
                };
              }
              if (pd.records === null || pd.records.length === 0) {
                return { ...base, errorCode: ErrorCode.INVALID_RECORD, errorMessage: 'no records' };
              }
              let records = pd.records;
              if (legacyAllowed && records.length > MAGIC_AT && records[MAGIC_AT] !== RECORD_BATCH_MAGIC) {
                const converted = upConvert(records, maxMessageBytes);
                if (!Buffer.isBuffer(converted)) return { ...base, ...converted };
                records = converted;
              }
              const outcome = await partition.append(records, limits);
              if (outcome.errorCode !== 0) {
                const message = 'message' in outcome ? outcome.message : null;
                const recordErrors = 'recordErrors' in outcome ? (outcome.recordErrors ?? []) : [];
                return {
                  ...base,
                  errorCode: outcome.errorCode,
                  errorMessage: message,
                  recordErrors: recordErrors.map((e) => ({
                    batchIndex: e.batchIndex,
                    batchIndexErrorMessage: e.message,
                  })),
                };
              }
              if (!('baseOffset' in outcome)) throw new Error('unreachable');
              state.metrics.bytesIn(td.name, pd.records.length);
              state.metrics.recordsIn(td.name, batchRecordsCount(records));
              return {
                ...base,
                errorCode: 0,
                baseOffset: BigInt(outcome.baseOffset),
                logAppendTimeMs: BigInt(outcome.logAppendTime),
                logStartOffset: BigInt(outcome.logStartOffset),
              };
            }),
          );
          return { name: td.name, partitionResponses };
        }),
      );
      if (acks === 0) {
        const failed = responses.flatMap((r) =>
          r.partitionResponses
            .filter((p) => p.errorCode !== 0)
            .map((p) => `${r.name}-${p.index}: ${p.errorMessage ?? p.errorCode}`),
        );
        if (failed.length > 0) throw new CloseConnectionError(`acks=0 produce failed (${failed.join('; ')})`);
        return null;
      }
      return { ...defaultProduceResponse(), responses };
    },
  );
}

/**
 * Like Promise.all, but settles only once every promise has: a rejection does not leave appends
 * running on the request's bytes after the handler is done.
 */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(promises);
  return outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}

const LEGACY_ENTRY_OVERHEAD = 12;

/**
 * A legacy message set (magic 0/1) as one v2 batch, or the partition's error: MESSAGE_TOO_LARGE for
 * a top-level message (a compressed wrapper counts as one, as in Kafka) above max.message.bytes,
 * CORRUPT_MESSAGE for a CRC-32 mismatch or a malformed set.
 */
function upConvert(
  records: Buffer,
  maxMessageBytes: number,
): Buffer | { errorCode: number; errorMessage: string } {
  for (let at = 0; at + LEGACY_ENTRY_OVERHEAD <= records.length; ) {
    const size = LEGACY_ENTRY_OVERHEAD + records.readInt32BE(at + 8);
    if (size > maxMessageBytes) {
      return {
        errorCode: ErrorCode.MESSAGE_TOO_LARGE,
        errorMessage: `message of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
      };
    }
    if (size <= LEGACY_ENTRY_OVERHEAD) break; // malformed: the decoder below names it
    at += size;
  }
  try {
    const legacy = decodeLegacyMessageSet(records);
    // Kafka keeps the producer's codec (topic compression.type=producer) when it converts.
    const compression = legacy.find((r) => r.compression !== 0)?.compression ?? 0;
    return convertLegacyToBatch(legacy, {
      compression,
      sequentialOffsets: true,
      timestampType: 'CreateTime',
    });
  } catch (err) {
    if (err instanceof DecodeError || err instanceof EncodeError) {
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: err.message };
    }
    throw err;
  }
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * `message.timestamp.{before,after}.max.ms` (Kafka 3.6+); each left at its default (unbounded) falls
 * back to the older `message.timestamp.difference.max.ms`, as in Kafka 3.6-3.9.
 */
export function timestampBounds(config: (name: string) => string | undefined): {
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
} {
  const read = (name: string) => {
    const v = Number(config(name) ?? UNBOUNDED);
    return Number.isFinite(v) ? Math.min(v, UNBOUNDED) : UNBOUNDED;
  };
  const difference = read('message.timestamp.difference.max.ms');
  const before = read('message.timestamp.before.max.ms');
  const after = read('message.timestamp.after.max.ms');
  return {
    timestampBeforeMaxMs: before < UNBOUNDED ? before : difference,
    timestampAfterMaxMs: after < UNBOUNDED ? after : difference,
  };
}
