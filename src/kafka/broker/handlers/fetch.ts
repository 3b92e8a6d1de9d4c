import { LogStorageError, OffsetOutOfRangeError } from '../../../storage/index.ts';
import {
  BatchAttribute,
  batchAttributes,
  batchSize,
  defaultFetchResponse,
  defaultFetchResponsePartitionData,
  ErrorCode,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
  fetchApi,
  RECORD_BATCH_HEADER_BYTES,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { type BrokerState, countRecords, leaderEpochError } from '../broker-state.ts';
import type { Partition } from '../partition.ts';

/**
 * Fetch (key 1), v4-17.
 *
 * Version notes: v4 isolation level, last stable offset, aborted transactions; v5 log start offset;
 * v7 fetch sessions (KIP-227); v9 current leader epoch; v11 rack id, preferred read replica; v12
 * flexible, diverging epoch; v13 topics by id (KIP-516); v15 replica state; v16-17 node endpoints and
 * replica directory id (tagged, unused here).
 *
 * Long polling: when fewer than min_bytes are available the request waits up to max_wait_ms, woken
 * by any append to a partition it reads (each partition keeps a waiter list; no polling).
 * Sizes: batches are returned whole, within partition_max_bytes and the response's max_bytes,
 * except that the first batch of the response is returned even when larger (KIP-74), so a consumer
 * always progresses. Records are the storage read's buffers, passed to the socket as they are.
 * read_committed reads below the last stable offset, which is the high watermark until
 * transactions exist (so no aborted transactions are ever listed).
 * A Fetch below v10 reaching a zstd batch gets UNSUPPORTED_COMPRESSION_TYPE, as in Kafka.
 * Fetch sessions are declined: a full fetch is answered with session id 0 (the client keeps sending
 * full fetches), an incremental fetch naming a session gets FETCH_SESSION_ID_NOT_FOUND.
 */
export const FETCH_VERSIONS = { minVersion: 4, maxVersion: 17 } as const;

const READ_COMMITTED = 1;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** Shared by every partition answered without data (never written to). */
const NO_RECORDS = Buffer.alloc(0);

interface PartitionRead {
  readonly response: FetchResponsePartitionData;
  readonly bytes: number;
}

export function createFetchHandler(state: BrokerState, now: () => number = Date.now): ApiHandler {
  return defineApiHandler(
    fetchApi,
    FETCH_VERSIONS,
    async (request: FetchRequest, ctx): Promise<FetchResponse> => {
      const version = ctx.header.requestApiVersion;
      if (version >= 7 && request.sessionId !== 0) {
        return {
          ...defaultFetchResponse(),
          errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
          sessionId: 0,
          responses: [],
        };
      }
      const byId = version >= 13;
      const committed = request.isolationLevel === READ_COMMITTED;
      const responseMax = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;

      const readOnce = async (): Promise<{
        response: FetchResponse;
        bytes: number;
        error: boolean;
        partitions: Partition[];
      }> => {
        let total = 0;
        let error = false;
        const partitions: Partition[] = [];
        const responses: FetchResponseFetchableTopicResponse[] = [];
        for (const ft of request.topics) {
          const topic = byId ? state.partitions.topicById(ft.topicId) : state.partitions.topic(ft.topic);
          const parts: FetchResponsePartitionData[] = [];
          for (const fp of ft.partitions) {
            const base: FetchResponsePartitionData = {
              ...defaultFetchResponsePartitionData(),
              partitionIndex: fp.partition,
              abortedTransactions: committed ? [] : null,
              records: NO_RECORDS,
            };
            const partition = topic ? state.partitions.partition(topic.name, fp.partition) : undefined;
            if (!partition) {
              error = true;
              parts.push({
                ...base,
                errorCode: byId && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              });
              continue;
            }
            partitions.push(partition);
            const read = await readPartition(
              partition,
              fp.fetchOffset,
              fp.currentLeaderEpoch,
              fp.partitionMaxBytes,
              responseMax - total,
              total > 0,
              committed,
              base,
              version,
            );
            if (read.response.errorCode !== 0) error = true;
            total += read.bytes;
            parts.push(read.response);
          }
          responses.push({
            topic: topic?.name ?? ft.topic,
            topicId: topic?.id ?? (byId ? ft.topicId : ZERO_UUID),
            partitions: parts,
          });
        }
        return {
          response: { ...defaultFetchResponse(), sessionId: 0, responses },
          bytes: total,
          error,
          partitions,
        };
      };

      const deadline = now() + Math.max(0, request.maxWaitMs);
      for (;;) {
        const result = await readOnce();
        const remaining = deadline - now();
        if (
          result.bytes >= request.minBytes ||
          result.error ||
          remaining <= 0 ||
          result.partitions.length === 0 ||
          state.partitions.draining
        ) {
          for (const t of result.response.responses) {
            for (const p of t.partitions) {
              if (p.records === null || p.records.length === 0) continue;
              state.metrics.bytesOut(t.topic, p.records.length);
              state.metrics.recordsOut(t.topic, countRecords(p.records));
            }
          }
          return result.response;
        }
        await waitForAppend(result.partitions, remaining);
      }
    },
  );
}

async function readPartition(
  partition: Partition,
  fetchOffset: bigint,
  currentLeaderEpoch: number,
  partitionMaxBytes: number,
  responseBytesLeft: number,
  haveData: boolean,
  committed: boolean,
  base: FetchResponsePartitionData,
  version: number,
): Promise<PartitionRead> {
  const withOffsets = (errorCode: number): FetchResponsePartitionData => ({
    ...base,
    errorCode,
    highWatermark: BigInt(partition.highWatermark),
    lastStableOffset: BigInt(partition.lastStableOffset),
    logStartOffset: BigInt(partition.logStartOffset),
  });
  const epochError = leaderEpochError(currentLeaderEpoch, partition.leaderEpoch);
  if (epochError !== 0) return { response: withOffsets(epochError), bytes: 0 };
  const offset = Number(fetchOffset);
  if (offset < partition.logStartOffset || offset > partition.logEndOffset) {
    return { response: withOffsets(ErrorCode.OFFSET_OUT_OF_RANGE), bytes: 0 };
  }
  const limit = Math.min(partitionMaxBytes, responseBytesLeft);
  if (limit <= 0 && haveData) return { response: withOffsets(0), bytes: 0 };
  const maxOffset = committed ? partition.lastStableOffset : partition.highWatermark;
  try {
    const read = await partition.log.read(offset, Math.max(limit, 1), { maxOffset });
    // Only the response's first batch may exceed the limits (KIP-74).
    if (haveData && read.records.length > limit) return { response: withOffsets(0), bytes: 0 };
    // Clients below Fetch v10 cannot read zstd (Kafka does not down-convert it either).
    if (version < 10 && holdsZstd(read.records)) {
      return { response: withOffsets(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE), bytes: 0 };
    }
    return { response: { ...withOffsets(0), records: read.records }, bytes: read.records.length };
  } catch (err) {
    if (err instanceof OffsetOutOfRangeError)
      return { response: withOffsets(ErrorCode.OFFSET_OUT_OF_RANGE), bytes: 0 };
    // A log closed under the read (topic deleted) or a disk failure: retriable for the client.
    if (err instanceof LogStorageError)
      return { response: withOffsets(ErrorCode.KAFKA_STORAGE_ERROR), bytes: 0 };
    throw err;
  }
}

const ZSTD = 4;

function holdsZstd(records: Buffer): boolean {
  for (let at = 0; at + RECORD_BATCH_HEADER_BYTES <= records.length; at += batchSize(records, at)) {
    if ((batchAttributes(records, at) & BatchAttribute.compressionMask) === ZSTD) return true;
  }
  return false;
}

/** Resolves on the first append to any of `partitions`, or after `timeoutMs`. */
function waitForAppend(partitions: readonly Partition[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe: (() => void)[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve();
    };
    for (const p of new Set(partitions)) unsubscribe.push(p.onAppend(done));
    timer = setTimeout(done, timeoutMs);
  });
}
