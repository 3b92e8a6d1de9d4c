/**
 * Test support: fast-check arbitraries of jute records, built by walking the generated schemas.
 * Strings avoid lone surrogates (UTF-8 cannot carry them), so encode → decode gives back an equal
 * record. Used by the tests beside it only.
 */
import fc from 'fast-check';
import { type JuteType, type RecordSchema, recordCodecs } from '../../../src/zookeeper/protocol/index.ts';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const cache = new Map<RecordSchema, fc.Arbitrary<Record<string, unknown>>>();

export function typeArbitrary(t: JuteType): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'int':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'long':
      return fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
    case 'boolean':
      return fc.boolean();
    case 'ustring':
      return fc.option(fc.string({ unit: 'binary', maxLength: 8 }), { nil: null });
    case 'buffer':
      return fc.option(
        fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
        { nil: null },
      );
    case 'vector':
      return fc.option(fc.array(typeArbitrary(t.items), { maxLength: 3 }), { nil: null });
    case 'record':
      return recordArbitrary(t.record);
  }
}

export function recordArbitrary(schema: RecordSchema): fc.Arbitrary<Record<string, unknown>> {
  let arb = cache.get(schema);
  if (arb === undefined) {
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of schema.fields) fields[f.name] = typeArbitrary(f.type);
    arb = fc.record(fields, { noNullPrototype: true });
    cache.set(schema, arb);
  }
  return arb;
}

/** The arbitrary of the record named `name` (an IDL class name such as `CreateRequest`). */
export function recordArbitraryByName(name: string): fc.Arbitrary<Record<string, unknown>> {
  const codec = recordCodecs.find((c) => c.schema.name === name);
  if (codec === undefined) throw new Error(`no record ${name}`);
  return recordArbitrary(codec.schema);
}
