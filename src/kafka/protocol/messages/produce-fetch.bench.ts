/**
 * Micro benchmark of the hot-path codecs: a Produce request (v11) and a Fetch response (v17), each
 * carrying 1 MiB of (opaque) records, in three shapes: one partition with a 1 MiB record set (a
 * producer's batch of 1 KiB records: passed through as a chunk on encode, a view on decode),
 * 1024 partitions x 1 KiB (per-partition overhead dominates; small record sets are copied) and
 * 16 partitions x 64 KiB. A 1 MiB memcpy is measured in the same run as the raw limit of a
 * codec that copies; encode is reported as a ratio to it.
 *
 *   node src/kafka/protocol/messages/produce-fetch.bench.ts
 *
 * Prints `name: value unit` lines: operations per second and GB/s of record bytes.
 */
import { ByteReader, ByteWriter } from '../../../base/index.ts';
import type { FetchResponse, FetchResponsePartitionData } from './fetch.generated.ts';
import { decodeFetchResponse, defaultFetchResponse, encodeFetchResponse } from './fetch.generated.ts';
import type { ProduceRequest } from './produce.generated.ts';
import { decodeProduceRequest, encodeProduceRequest } from './produce.generated.ts';

const RECORD_BYTES = 1024 * 1024;
const SECONDS_PER_LOOP = 1;

interface Shape {
  readonly label: string;
  readonly partitions: number;
}

const SHAPES: readonly Shape[] = [
  { label: '1x1MiB', partitions: 1 },
  { label: '1024x1KiB', partitions: 1024 },
  { label: '16x64KiB', partitions: 16 },
];

function recordSets(partitions: number): Buffer[] {
  const all = Buffer.alloc(RECORD_BYTES);
  for (let i = 0; i < all.length; i += 4) all.writeUInt32BE(i, i);
  const size = RECORD_BYTES / partitions;
  return Array.from({ length: partitions }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

function produceRequest(partitions: number): ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [
      {
        name: 'bench-topic',
        partitionData: recordSets(partitions).map((records, index) => ({ index, records })),
      },
    ],
  };
}

function fetchResponse(partitions: number): FetchResponse {
  const partition = (records: Buffer, partitionIndex: number): FetchResponsePartitionData => ({
    partitionIndex,
    errorCode: 0,
    highWatermark: 1_000_000n,
    lastStableOffset: 1_000_000n,
    logStartOffset: 0n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  });
  return {
    ...defaultFetchResponse(),
    responses: [
      {
        topic: '',
        topicId: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
        partitions: recordSets(partitions).map(partition),
      },
    ],
  };
}

/** Runs `fn` for about `seconds`, returns operations per second. */
function measure(fn: () => void, seconds: number): number {
  for (let i = 0; i < 20; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 10; i++) fn();
    ops += 10;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

function report(name: string, opsPerSecond: number): void {
  console.log(`${name}: ${opsPerSecond.toFixed(0)} ops/s`);
  console.log(`${name}: ${((opsPerSecond * RECORD_BYTES) / 1e9).toFixed(2)} GB/s`);
}

/** The raw limit for a codec that must copy its records: one 1 MiB memcpy. */
function memcpyOpsPerSecond(): number {
  const src = Buffer.alloc(RECORD_BYTES, 7);
  const dst = Buffer.allocUnsafe(RECORD_BYTES);
  return measure(() => {
    src.copy(dst);
  }, SECONDS_PER_LOOP);
}

const memcpy = memcpyOpsPerSecond();
report('raw-memcpy-1MiB', memcpy);

function bench<T>(
  name: string,
  version: number,
  message: T,
  encode: (w: ByteWriter, v: number, m: T) => void,
  decode: (r: ByteReader, v: number) => T,
): void {
  const encodeOnce = (): Buffer[] => {
    const w = new ByteWriter(4096);
    encode(w, version, message);
    return w.toChunks();
  };
  const frame = Buffer.concat(encodeOnce());
  let sink = 0;
  const encodeOps = measure(() => {
    sink += encodeOnce().length;
  }, SECONDS_PER_LOOP);
  report(`${name}-encode`, encodeOps);
  console.log(`${name}-encode-vs-memcpy: ${(encodeOps / memcpy).toFixed(3)} ratio`);
  report(
    `${name}-decode`,
    measure(() => {
      const r = new ByteReader(frame);
      decode(r, version);
      sink += r.offset;
    }, SECONDS_PER_LOOP),
  );
  if (sink === 0) console.log('unreachable');
}

for (const shape of SHAPES) {
  bench(
    `produce-v11-request-${shape.label}`,
    11,
    produceRequest(shape.partitions),
    encodeProduceRequest,
    decodeProduceRequest,
  );
}
for (const shape of SHAPES) {
  bench(
    `fetch-v17-response-${shape.label}`,
    17,
    fetchResponse(shape.partitions),
    encodeFetchResponse,
    decodeFetchResponse,
  );
}
