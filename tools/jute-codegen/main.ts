/**
 * Generates ZooKeeper's jute record codecs.
 *
 *   node tools/jute-codegen/main.ts [outFile]
 *
 * Input: the transcription in records.ts (see there why not the reference IDL itself). Output,
 * by default src/zookeeper/protocol/records.generated.ts; deterministic, and codegen.test.ts checks
 * that the committed file is current.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { generateRecords } from './generate.ts';
import { resolve } from './idl.ts';
import { transcribedModules } from './records.ts';

export const REPO_ROOT = resolvePath(import.meta.dirname, '../..');
export const DEFAULT_OUT_FILE = resolvePath(REPO_ROOT, 'src/zookeeper/protocol/records.generated.ts');
/** The reference copy of ZooKeeper's IDL, compared against records.ts by the tests. */
export const REFERENCE_IDL = resolvePath(REPO_ROOT, '../shared/reference/zookeeper-protocol/zookeeper.jute');

export function generatedContent(): string {
  return generateRecords(resolve(transcribedModules()), 'tools/jute-codegen/records.ts');
}

/** Writes the file if its content changed; returns whether it did. */
export function writeGenerated(outFile: string): boolean {
  const content = generatedContent();
  if (existsSync(outFile) && readFileSync(outFile, 'utf8') === content) return false;
  writeFileSync(outFile, content);
  return true;
}

if (import.meta.main) {
  const outFile = resolvePath(process.argv[2] ?? DEFAULT_OUT_FILE);
  const written = writeGenerated(outFile);
  console.log(`jute-codegen: ${outFile} ${written ? 'written' : 'unchanged'}`);
}
