/**
 * Generates the Kafka message codecs from the Apache Kafka message specs.
 *
 *   node tools/kafka-codegen/main.ts [specDir] [outDir]
 *
 * specDir defaults to ../shared/reference/kafka-protocol/message (relative to the repository root),
 * outDir to src/kafka/protocol/messages. Generated files whose spec disappeared are deleted.
 *
 * Output (deterministic; codegen.test.ts checks the committed files are current):
 * - `<api>.generated.ts` for every API whose request spec lists the `broker` listener: types,
 *   `default*()` constructors, decode and encode functions and the `<api>Api` ApiCodec;
 * - `request-header.generated.ts`, `response-header.generated.ts`;
 * - `apis.generated.ts`: `apiCodecs` (sorted by key) and `apiCodecByKey`;
 * - `schemas.generated.ts`: the specs as data (see messages/schema.ts), for tests and tools.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GENERATED_MARKER, generate } from './generate.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_SPEC_DIR = resolve(REPO_ROOT, '../shared/reference/kafka-protocol/message');
export const DEFAULT_OUT_DIR = resolve(REPO_ROOT, 'src/kafka/protocol/messages');

/** Writes the generated files into `outDir`; returns the names written or changed. */
export function writeGenerated(specDir: string, outDir: string): { written: string[]; removed: string[] } {
  const files = generate(specDir);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const names = new Set<string>();
  for (const f of files) {
    names.add(f.name);
    const path = join(outDir, f.name);
    if (existsSync(path) && readFileSync(path, 'utf8') === f.content) continue;
    writeFileSync(path, f.content);
    written.push(f.name);
  }
  const removed: string[] = [];
  for (const name of readdirSync(outDir)) {
    if (!name.endsWith('.generated.ts') || names.has(name)) continue;
    const path = join(outDir, name);
    if (!readFileSync(path, 'utf8').startsWith(GENERATED_MARKER)) continue;
    unlinkSync(path);
    removed.push(name);
  }
  return { written, removed };
}

if (import.meta.main) {
  const specDir = resolve(process.argv[2] ?? DEFAULT_SPEC_DIR);
  const outDir = resolve(process.argv[3] ?? DEFAULT_OUT_DIR);
  const { written, removed } = writeGenerated(specDir, outDir);
  console.log(`kafka-codegen: ${written.length} files written, ${removed.length} removed, in ${outDir}`);
}
