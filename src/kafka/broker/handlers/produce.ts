import { CloseConnectionError } from '../../../net/index.ts';
import {
  batchRecordsCount,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  ErrorCode,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  produceApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * Produce (key 0), v3-11.
 *
 * v0-2 carry legacy message sets (magic 0/1) and are not offered: every client in use speaks v3+
 * (magic 2 record batches). Version notes: v3 transactional id; v5 logStartOffset; v8 per-record
 * errors and an error message; v9 flexible; v10 current leader / node endpoints (tagged, left
 * empty: this node always leads); v11 nothing new on the broker side.
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
export const PRODUCE_VERSIONS = { minVersion: 3, maxVersion: 11 } as const;

export function createProduceHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    produceApi,
    PRODUCE_VERSIONS,
    async (request: ProduceRequest): Promise<ProduceResponse | null> => {
      const acks = request.acks;
      const validAcks = acks === 0 || acks === 1 || acks === -1;
      const responses = await Promise.all(
        request.topicData.map(async (td) => {
          const topic = state.partitions.topic(td.name);
          // The topic's override, else the broker's value (dynamic layers included).
          const config = (name: string): string | undefined =>
            topic?.configs[name] ?? state.topicConfigDefault(name);
          const minInsyncReplicas = Number(config('min.insync.replicas') ?? 1);
          const maxMessageBytes = Number(config('max.message.bytes') ?? state.config.messageBytesMax);
          const limits = { maxMessageBytes, ...timestampBounds(config) };
          const partitionResponses = await Promise.all(
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
              const outcome = await partition.append(pd.records, limits);
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
              state.metrics.recordsIn(td.name, batchRecordsCount(pd.records));
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
