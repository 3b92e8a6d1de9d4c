// Micro benchmark: v2 record batches of 1 KiB records, ~1 MiB per batch.
// Prints `name: value unit` lines. Run: node_modules/.bin/node src/kafka/protocol/record-batch.bench.ts
import {
  batchBaseOffset,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordInput,
  readBatchHeader,
  setBaseOffset,
  splitBatches,
  validateBatchCrc,
} from './record-batch.ts';

const RECORD_BYTES = 1024;
const RECORD_COUNT = 1000; // 1000 values of 1 KiB + keys and headers ≈ 1 MiB

function makeRecords(): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = 0; i < RECORD_COUNT; i++) {
    const value = Buffer.alloc(RECORD_BYTES);
    const text = `{"id":${i},"user":"user-${i % 97}","event":"page_view","payload":"`;
    value.write(text.padEnd(RECORD_BYTES - 2, 'x'), 'latin1');
    value.write('"}', RECORD_BYTES - 2, 'latin1');
    out.push({
      key: Buffer.from(`key-${i}`),
      value,
      timestampDelta: i,
      headers: [{ key: 'source', value: Buffer.from('bench') }],
    });
  }
  return out;
}

/** Best-of throughput: calls `fn` repeatedly for about `budgetMs`, returns operations per second. */
function opsPerSecond(fn: () => void, budgetMs: number): number {
  for (let i = 0; i < 3; i++) fn();
  let best = 0;
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline) {
    const reps = 5;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    best = Math.max(best, reps / ((performance.now() - t0) / 1000));
  }
  return best;
}

const records = makeRecords();
const input = { baseOffset: 0n, baseTimestamp: 1_700_000_000_000n, records };
const batch = encodeRecordBatch(input);
const mib = batch.length / 1048576;
console.log(`record-batch.size: ${mib.toFixed(3)} MiB (${RECORD_COUNT} records of ${RECORD_BYTES} B)`);

const report = (name: string, ops: number, withRecords = true): void => {
  console.log(`record-batch.${name}: ${((ops * batch.length) / 1e9).toFixed(2)} GB/s`);
  if (withRecords) {
    console.log(`record-batch.${name}.records: ${((ops * RECORD_COUNT) / 1e6).toFixed(2)} M records/s`);
  }
};

let sink = 0;
report(
  'decode',
  opsPerSecond(() => {
    sink += decodeRecordBatch(batch).records.length;
  }, 500),
);
report(
  'decode-no-crc',
  opsPerSecond(() => {
    sink += decodeRecordBatch(batch, { verifyCrc: false }).records.length;
  }, 300),
);
report(
  'encode',
  opsPerSecond(() => {
    sink += encodeRecordBatch(input).length;
  }, 500),
);
report(
  'validate-crc',
  opsPerSecond(() => validateBatchCrc(batch), 300),
  false,
);

// The broker's append path: validate, stamp the offset, read what the index needs. No record parsing.
let next = 0;
report(
  'append-path',
  opsPerSecond(() => {
    validateBatchCrc(batch);
    setBaseOffset(batch, next);
    next += RECORD_COUNT;
    sink += batchBaseOffset(batch);
  }, 300),
  false,
);

// Header-only work on a blob of many small batches, per batch.
const small = encodeRecordBatch({ baseTimestamp: 0, records: records.slice(0, 1) });
const blob = Buffer.concat(Array.from({ length: 1000 }, () => small));
const splitOps = opsPerSecond(() => {
  for (const b of splitBatches(blob)) sink += b.length;
}, 300);
console.log(`record-batch.split-batches: ${((splitOps * 1000) / 1e6).toFixed(2)} M batches/s`);
const headerOps = opsPerSecond(() => {
  for (let i = 0; i < 1000; i++) sink += readBatchHeader(small).recordsCount;
}, 200);
console.log(`record-batch.read-batch-header: ${((headerOps * 1000) / 1e6).toFixed(2)} M headers/s`);
if (sink === -1) console.log('unreachable');
