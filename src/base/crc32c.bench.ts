// Micro benchmark: CRC-32C over 1 MiB. Prints `name: value unit` lines.
// Run: node_modules/.bin/node src/base/crc32c.bench.ts
import { createRequire } from 'node:module';
import { crc32c, crc32cImplementation, crc32cPure } from './crc32c.ts';

const require = createRequire(import.meta.url);
const raw = (require('@node-rs/crc32') as { crc32c: (b: Uint8Array, i?: number) => number }).crc32c;

const SIZE_BYTES = 1 << 20;
const data = Buffer.alloc(SIZE_BYTES);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;

/** Best-of-rounds throughput in GB/s for `fn` over `data`, spending about `budgetMs`. */
function gbPerSecond(fn: (b: Uint8Array) => number, budgetMs: number): number {
  let sink = 0;
  for (let i = 0; i < 3; i++) sink ^= fn(data); // warm up
  let best = 0;
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline) {
    const reps = 8;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) sink ^= fn(data);
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, (reps * SIZE_BYTES) / seconds / 1e9);
  }
  if (sink === 0.5) console.log('unreachable');
  return best;
}

const rawGbs = gbPerSecond(raw, 500);
const wrapperGbs = gbPerSecond(crc32c, 500);
const pureGbs = gbPerSecond(crc32cPure, 1200);

console.log(`crc32c.implementation: ${crc32cImplementation}`);
console.log(`crc32c.node-rs-raw.1MiB: ${rawGbs.toFixed(2)} GB/s`);
console.log(`crc32c.wrapper.1MiB: ${wrapperGbs.toFixed(2)} GB/s`);
console.log(`crc32c.pure.1MiB: ${pureGbs.toFixed(3)} GB/s`);
console.log(`crc32c.wrapper-vs-raw: ${(wrapperGbs / rawGbs).toFixed(3)} ratio`);
console.log(`crc32c.pure-vs-raw: ${(pureGbs / rawGbs).toFixed(4)} ratio`);
