import { buildFillerBatch } from '../../support/record-batches.ts';

/** The batch a crash-test writer appends for `id` (deterministic, so the parent can regenerate it). */
export function crashBatch(id: number): Buffer {
  const n = Math.floor(id * 2);
  return buildFillerBatch(1 + (n % 5), 40 + ((n * 97) % 900), 1_000_000 + n, n);
}
