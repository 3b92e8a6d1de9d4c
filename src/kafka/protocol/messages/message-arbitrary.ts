/**
 * Test support: fast-check arbitraries of valid Kafka messages for one version, built by walking the
 * generated schemas. Fields absent from the version hold their default (what decoding yields), null
 * appears only where the version allows it, and every value fits its wire type, so
 * encode → decode must give back an equal message. Used by messages.test.ts and fuzz.test.ts only.
 */
import fc from 'fast-check';
import type { FieldSchema, MessageSchema, StructSchema, TypeSchema } from './schema.ts';
import { inVersions } from './schema.ts';

export type Message = Record<string, unknown>;

export interface ArbitraryLimits {
  /** Most elements per array. */
  readonly arrayMax: number;
  /** Most UTF-16 units per string, bytes per byte field. */
  readonly sizeMax: number;
}

const DEFAULT_LIMITS: ArbitraryLimits = { arrayMax: 3, sizeMax: 12 };

/** The value a decoder yields for a field absent from the wire. */
export function fieldDefault(f: FieldSchema): unknown {
  if (f.default === null) return null;
  switch (f.type.kind) {
    case 'bytes':
      return Buffer.alloc(0);
    case 'array':
      return [];
    case 'struct':
      return structDefault(f.type.struct);
    default:
      return f.default;
  }
}

export function structDefault(s: StructSchema): Message {
  const out: Message = {};
  for (const f of s.fields) out[f.name] = fieldDefault(f);
  return out;
}

const uuidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});

function typeArbitrary(t: TypeSchema, version: number, limits: ArbitraryLimits): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -0x80, max: 0x7f });
    case 'int16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: limits.sizeMax });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: limits.sizeMax }).map((b) => Buffer.from(b));
    case 'uuid':
      return fc.oneof(fc.constant('00000000-0000-0000-0000-000000000000'), uuidArb);
    case 'array':
      return fc.array(typeArbitrary(t.items, version, limits), { maxLength: limits.arrayMax });
    case 'struct':
      return structArbitrary(t.struct, version, limits);
  }
}

function fieldArbitrary(f: FieldSchema, version: number, limits: ArbitraryLimits): fc.Arbitrary<unknown> {
  if (!inVersions(f.versions, version)) return fc.constant(null).map(() => fieldDefault(f));
  const base = typeArbitrary(f.type, version, limits);
  return inVersions(f.nullableVersions, version) ? fc.option(base, { nil: null, freq: 4 }) : base;
}

export function structArbitrary(
  s: StructSchema,
  version: number,
  limits: ArbitraryLimits = DEFAULT_LIMITS,
): fc.Arbitrary<Message> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) model[f.name] = fieldArbitrary(f, version, limits);
  return fc.record(model, { noNullPrototype: true });
}

/** Arbitrary valid messages of `schema` at `version`. */
export function messageArbitrary(
  schema: MessageSchema,
  version: number,
  limits: ArbitraryLimits = DEFAULT_LIMITS,
): fc.Arbitrary<Message> {
  return structArbitrary(schema, version, limits);
}
