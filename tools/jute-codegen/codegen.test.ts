import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { generateRecords } from './generate.ts';
import { IdlError, parseJute, parseTypeText, resolve } from './idl.ts';
import { DEFAULT_OUT_FILE, generatedContent, REFERENCE_IDL } from './main.ts';
import { transcribedModules } from './records.ts';

const NO_IDL = `ZooKeeper IDL not found at ${REFERENCE_IDL} (../shared/reference from the repository root); skipping the comparison with records.ts`;
const skipIdl = existsSync(REFERENCE_IDL) ? false : NO_IDL;

describe('jute-codegen', () => {
  test('regenerating reproduces the committed records.generated.ts exactly', () => {
    const fresh = generatedContent();
    const current = readFileSync(DEFAULT_OUT_FILE, 'utf8');
    assert.ok(fresh === current, 'records.generated.ts is stale: run node tools/jute-codegen/main.ts');
    assert.equal(generatedContent(), fresh, 'deterministic');
  });

  test('records.ts matches the reference ZooKeeper IDL class by class, field by field', {
    skip: skipIdl,
  }, () => {
    const reference = resolve(parseJute(readFileSync(REFERENCE_IDL, 'utf8'), 'zookeeper.jute'));
    const ours = resolve(transcribedModules());
    assert.deepEqual(
      ours.map((r) => `${r.module}.${r.name}`),
      reference.map((r) => `${r.module}.${r.name}`),
      'same classes in the same order',
    );
    for (let i = 0; i < ours.length; i++) {
      assert.deepEqual(ours[i], reference[i], `${reference[i]!.name}`);
    }
  });

  test('parses modules, classes, comments, vectors and qualified names', () => {
    const modules = parseJute(
      `/* licence */
       module a.b { class X { int n; // count
         vector<vector<ustring>> names; } }
       module c { class Y { a.b.X x; vector<X> xs; boolean ok; long l; buffer b; } }`,
      'demo',
    );
    const records = resolve(modules);
    assert.deepEqual(
      records.map((r) => [r.module, r.name, r.fields.map((f) => f.name)]),
      [
        ['a.b', 'X', ['n', 'names']],
        ['c', 'Y', ['x', 'xs', 'ok', 'l', 'b']],
      ],
    );
    assert.deepEqual(records[1]!.fields[0]!.type, { kind: 'record', module: 'a.b', name: 'X' });
    assert.deepEqual(parseTypeText('vector<int>', 't'), { kind: 'vector', items: { kind: 'int' } });
    const code = generateRecords(records, 'demo');
    assert.ok(code.includes('names: ((string | null)[] | null)[] | null;'), 'nested vector type');
    assert.ok(code.includes('xs: readVector(r, 8, decodeX),'), 'X takes at least 8 bytes');
    assert.ok(code.includes('minBytes: 25,'), 'Y: X (8) + vector (4) + boolean (1) + long (8) + buffer (4)');
    assert.match(code, /export function encodeY\(w: ByteWriter, m: Y\): void \{/);
  });

  test('rejects unknown and ambiguous types with the place named', () => {
    assert.throws(
      () => resolve(parseJute('module m { class A { Nope x; } }', 'x')),
      /m\.A\.x: unknown record type Nope/,
    );
    assert.throws(
      () => resolve(parseJute('module m { class A { q.A x; } }', 'x')),
      /unknown record type q\.A/,
    );
    assert.throws(
      () => resolve(parseJute('module m { class A { int x; } } module n { class A { int y; } }', 'x')),
      /class A is defined in m and n/,
    );
    assert.throws(() => parseJute('module m { class A { float f; } }', 'x'), IdlError);
    assert.throws(() => parseJute('module m { class A { int x } }', 'x'), /expected ';'/);
    assert.throws(() => parseJute('module m { class A { int x; } ', 'x'), /found the end/);
    assert.throws(
      () => resolve(parseJute('module m { class A { int x; long x; } }', 'x')),
      /duplicate field/,
    );
  });
});
