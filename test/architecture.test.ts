import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkArchitecture,
  formatViolation,
  maskSource,
  type SourceFile,
  scanImports,
  unitImportProblem,
  unitOf,
} from './support/dependency-rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function sourceFiles(dir: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const abs = join(entry.parentPath, entry.name);
    out.push({ path: relative(ROOT, abs).split(sep).join('/'), text: await readFile(abs, 'utf8') });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

describe('architecture: dependency rule over src/', () => {
  it('every import in src/ follows the dependency rule', async () => {
    const files = await sourceFiles(join(ROOT, 'src'));
    assert.ok(files.length > 0 && files.some((f) => f.path === 'src/base/index.ts'), 'found the sources');
    const violations = checkArchitecture(files);
    assert.equal(
      violations.length,
      0,
      `dependency rule violations:\n${violations.map(formatViolation).join('\n')}`,
    );
  });
});

/** Fake trees: the checker must catch each kind of violation, or the test above proves nothing. */
describe('architecture: the rule checker itself', () => {
  const check = (files: Record<string, string>) =>
    checkArchitecture(Object.entries(files).map(([path, text]) => ({ path, text })));

  it('accepts a clean tree', () => {
    assert.deepEqual(
      check({
        'src/base/index.ts': "export { x } from './x.ts';",
        'src/base/x.ts': 'export const x = 1;',
        'src/net/index.ts': "import { x } from '../base/index.ts';\nimport { createServer } from 'node:net';",
        'src/kafka/protocol/codec.ts':
          "import type { x } from '../../base/index.ts';\nimport zlib from 'node:zlib';",
        'src/kafka/broker/broker.ts':
          "import { x } from '../../net/index.ts';\nimport { y } from '../protocol/index.ts';\nimport { z } from '../../zookeeper/client/index.ts';",
        'src/cli/main.ts': "import { Command } from 'commander';\nprocess.exit(process.env.X ? 1 : 0);",
        'src/kafka/broker/main.ts': "process.on('SIGTERM', () => {});",
      }),
      [],
    );
  });

  it('rejects an upward import, naming the file, line and import', () => {
    const v = check({ 'src/base/bad.ts': "// header\nimport { TcpServer } from '../net/index.ts';\n" });
    assert.equal(v.length, 1);
    assert.equal(v[0]!.file, 'src/base/bad.ts');
    assert.equal(v[0]!.line, 2);
    assert.equal(v[0]!.specifier, '../net/index.ts');
    assert.match(
      formatViolation(v[0]!),
      /^src\/base\/bad\.ts:2 import '\.\.\/net\/index\.ts': base \(rank 0\) may not import net/,
    );
  });

  it('rejects imports between units of the same rank unless allowed', () => {
    assert.match(
      check({ 'src/config/a.ts': "import '../telemetry/index.ts';" })[0]!.message,
      /imports point down only/,
    );
    assert.match(
      check({ 'src/kafka/broker/a.ts': "import { s } from '../../zookeeper/server/index.ts';" })[0]!.message,
      /kafka\/broker .* may not import zookeeper\/server/,
    );
    assert.match(
      check({ 'src/zookeeper/client/a.ts': "export * from '../../kafka/broker/index.ts';" })[0]!.message,
      /may not import kafka\/broker/,
    );
  });

  it('keeps protocol code to base only, and pure code free of net, timers and logging', () => {
    assert.match(
      check({ 'src/kafka/protocol/a.ts': "import { Logger } from '../../telemetry/index.ts';" })[0]!.message,
      /kafka\/protocol may import only base/,
    );
    assert.match(
      check({ 'src/zookeeper/protocol/a.ts': "import { c } from '../../config/index.ts';" })[0]!.message,
      /may import only base/,
    );
    assert.match(
      check({ 'src/storage/a.ts': "import type { L } from '../telemetry/index.ts';" })[0]!.message,
      /pure code/,
    );
    assert.match(check({ 'src/storage/a.ts': "import { Socket } from 'node:net';" })[0]!.message, /node:net/);
    assert.match(
      check({ 'src/kafka/protocol/a.ts': "import { setTimeout } from 'timers';" })[0]!.message,
      /node:timers/,
    );
    assert.match(
      check({ 'src/kafka/protocol/a.ts': "import pino from 'pino';" })[0]!.message,
      /package pino/,
    );
    assert.match(check({ 'src/storage/a.ts': 'setTimeout(() => {}, 1);' })[0]!.message, /setTimeout/);
    assert.match(check({ 'src/storage/a.ts': "console.log('x');" })[0]!.message, /console/);
    // Tests beside pure code may use timers.
    assert.deepEqual(
      check({ 'src/storage/a.test.ts': "import { setTimeout } from 'node:timers/promises';" }),
      [],
    );
  });

  it('lets test files import any unit through its index.ts, and test/ helpers, but nothing deeper', () => {
    assert.deepEqual(
      check({
        'src/storage/log.test.ts':
          "import { encodeRecordBatch } from '../kafka/protocol/index.ts';\nimport { b } from '../../test/support/record-batches.ts';",
        'src/base/x.bench.ts': "import { Broker } from '../kafka/broker/index.ts';",
        'src/kafka/protocol/a.test.ts': "import { SegmentLog } from '../../storage/index.ts';",
      }),
      [],
    );
    const deep = check({
      'src/storage/log.test.ts': "import { x } from '../kafka/protocol/record-batch.ts';",
    });
    assert.equal(deep.length, 1);
    assert.match(deep[0]!.message, /only through src\/kafka\/protocol\/index\.ts/);
    // The same imports from production code still break the rules.
    assert.match(
      check({ 'src/storage/log.ts': "import { encodeRecordBatch } from '../kafka/protocol/index.ts';" })[0]!
        .message,
      /storage \(rank 2\) may not import kafka\/protocol/,
    );
    assert.match(
      check({ 'src/storage/log.ts': "import { b } from '../../test/support/record-batches.ts';" })[0]!
        .message,
      /outside every unit/,
    );
    assert.match(
      check({ 'src/kafka/protocol/a.ts': "import { SegmentLog } from '../../storage/index.ts';" })[0]!
        .message,
      /may import only base/,
    );
  });

  it('keeps applications away from other products servers', () => {
    assert.match(
      check({ 'src/flume/sink.ts': "import { Broker } from '../kafka/broker/index.ts';" })[0]!.message,
      /only through its client\/ or protocol\//,
    );
    assert.deepEqual(check({ 'src/flume/sink.ts': "import { P } from '../kafka/client/index.ts';" }), []);
  });

  it('requires imports into another unit to go through its index.ts', () => {
    const v = check({ 'src/kafka/broker/a.ts': "import { decodeRequest } from '../protocol/frame.ts';" });
    assert.equal(v.length, 1);
    assert.match(v[0]!.message, /only through src\/kafka\/protocol\/index\.ts/);
    assert.deepEqual(
      check({ 'src/kafka/broker/a.ts': "import { h } from './handlers/api-versions.ts';" }),
      [],
    );
  });

  it('allows only one index.ts per unit, at its root', () => {
    const v = check({ 'src/kafka/broker/handlers/index.ts': "export * from './metadata.ts';" });
    assert.equal(v.length, 1);
    assert.match(v[0]!.message, /no barrels deeper down/);
  });

  it('rejects files outside every unit and imports leaving src/', () => {
    assert.match(check({ 'src/kafka/stray.ts': 'export {};' })[0]!.message, /not inside any unit/);
    assert.match(
      check({ 'src/net/a.ts': "import { h } from '../../test/support/dependency-rules.ts';" })[0]!.message,
      /outside every unit/,
    );
  });

  it('keeps process globals, signals and exits in composition roots', () => {
    const v = check({
      'src/net/a.ts': "const port = process.env.PORT;\nprocess.on('SIGINT', () => process.exit(1));",
    });
    assert.deepEqual(
      v.map((x) => [x.line, x.message]),
      [
        [1, 'reads process.env: only composition roots (cli/, */main.ts) may'],
        [2, 'installs a signal handler: only composition roots (cli/, */main.ts) may'],
        [2, 'calls process.exit: only composition roots (cli/, */main.ts) may'],
      ],
    );
    assert.deepEqual(
      check({ 'src/net/a.ts': "process.on('exit', () => {}); // process.env in a comment" }),
      [],
    );
    assert.match(
      check({ 'src/telemetry/a.ts': "import { Command } from 'commander';" })[0]!.message,
      /commander/,
    );
  });

  it('finds every import form and ignores look-alikes in comments, strings and regexes', () => {
    const src = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      'import {',
      '  c,',
      '  type D,',
      "} from './c.ts';",
      "import * as e from './e.ts';",
      "import './side.ts';",
      "export { f } from './f.ts';",
      "export * from './g.ts';",
      "export type { H } from './h.ts';",
      "const i = await import('./i.ts');",
      "// import x from './commented.ts';",
      "/* import y from './block.ts'; */",
      'const s = "import z from \'./in-string.ts\'";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text under test
      "const t = `import w from './in-template.ts' ${x + `nested`}`;",
      "const r = /import q from '.\\/in-regex.ts'/;",
      "const after = 'x'; import last from './last.ts';",
    ].join('\n');
    assert.deepEqual(
      scanImports(src).map((x) => [x.specifier, x.line]),
      [
        ['./a.ts', 1],
        ['./b.ts', 2],
        ['./c.ts', 6],
        ['./e.ts', 7],
        ['./side.ts', 8],
        ['./f.ts', 9],
        ['./g.ts', 10],
        ['./h.ts', 11],
        ['./i.ts', 12],
        ['./last.ts', 18],
      ],
    );
  });

  it('masks without moving offsets or lines', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text under test
    const src = "a /* c\n */ 'str' `t${'u'}` // x\nb";
    const { code } = maskSource(src);
    assert.equal(code.length, src.length);
    assert.deepEqual(code.split('\n').length, src.split('\n').length);
    assert.match(code, /^a\s+'\s+'\s+`\s*\$\{'\s'\}`\s+\nb$/);
  });

  it('maps paths to units and ranks', () => {
    assert.equal(unitOf('src/kafka/protocol/messages/x.generated.ts'), 'kafka/protocol');
    assert.equal(unitOf('src/kafka/x.ts'), undefined);
    assert.equal(unitOf('test/x.ts'), undefined);
    assert.equal(unitImportProblem('cli', 'kafka/broker'), null);
    assert.equal(unitImportProblem('kafka/broker', 'zookeeper/client'), null);
    assert.notEqual(unitImportProblem('zookeeper/client', 'kafka/broker'), null);
  });
});
