// Micro benchmark: each codec compressing and decompressing 1 MiB of ~1 KiB JSON-ish records.
// Prints `name: value unit` lines. Run: node_modules/.bin/node src/kafka/protocol/compression.bench.ts
import { COMPRESSION_CODEC_NAMES, compress, decompress } from './compression.ts';

const SIZE_BYTES = 1 << 20;

/** Deterministic ~1 KiB JSON documents: repetitive keys, varying ids, words and numbers. */
function realisticRecords(): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < SIZE_BYTES; i++) {
    const tags = Array.from({ length: 8 }, () => words[rand(words.length)]);
    const doc = JSON.stringify({
      id: `evt-${i.toString(36)}-${rand(1e9).toString(36)}`,
      ts: 1700000000000 + i * 37 + rand(1000),
      user: {
        id: rand(100000),
        name: `user_${rand(5000)}`,
        country: ['DE', 'US', 'FR', 'JP', 'BR'][rand(5)],
      },
      action: ['page_view', 'click', 'purchase', 'signup'][rand(4)],
      amount: rand(100000) / 100,
      tags,
      session: rand(2 ** 31)
        .toString(16)
        .padStart(8, '0')
        .repeat(4),
      payload: Array.from({ length: 40 }, () => words[rand(words.length)]).join(' '),
      ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
    });
    parts.push(doc);
    size += doc.length + 1;
  }
  return Buffer.from(parts.join('\n')).subarray(0, SIZE_BYTES);
}

function mbPerSecond(fn: () => void, bytes: number, budgetMs: number): number {
  fn();
  let best = 0;
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    fn();
    best = Math.max(best, bytes / ((performance.now() - t0) / 1000) / 1e6);
  }
  return best;
}

const data = realisticRecords();
console.log(`compression.input: ${(data.length / 1048576).toFixed(2)} MiB`);
for (const codec of [1, 2, 3, 4]) {
  const name = COMPRESSION_CODEC_NAMES[codec];
  const packed = compress(codec, data);
  if (!decompress(codec, packed).equals(data)) throw new Error(`${name}: round trip failed`);
  const c = mbPerSecond(() => compress(codec, data), data.length, 300);
  const d = mbPerSecond(() => decompress(codec, packed), data.length, 300);
  console.log(`compression.${name}.ratio: ${(data.length / packed.length).toFixed(2)} x`);
  console.log(`compression.${name}.compress: ${c.toFixed(0)} MB/s`);
  console.log(`compression.${name}.decompress: ${d.toFixed(0)} MB/s`);
}
const xerial = compress(2, data, { snappyFraming: 'xerial' });
const dx = mbPerSecond(() => decompress(2, xerial), data.length, 200);
console.log(`compression.snappy-xerial.decompress: ${dx.toFixed(0)} MB/s`);
