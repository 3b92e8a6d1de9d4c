import type { FieldSchema, StructSchema, TypeSchema } from '../../src/kafka/protocol/messages/schema.ts';
import { inVersions } from '../../src/kafka/protocol/messages/schema.ts';

/**
 * Resets every field a version does not carry to its default, recursively. The fake broker builds
 * one response shape for all versions; the codecs refuse non-default values in fields absent from
 * the version being encoded, so each response is fitted before encoding.
 */
export function fitToVersion<T>(schema: StructSchema, version: number, value: T): T {
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const f of schema.fields) {
    out[f.name] = inVersions(f.versions, version) ? fitValue(f.type, version, src[f.name]) : defaultOf(f);
  }
  return out as T;
}

function fitValue(type: TypeSchema, version: number, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (type.kind === 'struct') return fitToVersion(type.struct, version, value);
  if (type.kind === 'array' && type.items.kind === 'struct') {
    const struct = type.items.struct;
    return (value as unknown[]).map((item) => fitToVersion(struct, version, item));
  }
  return value;
}

function defaultOf(f: FieldSchema): unknown {
  if (f.default !== 'empty') return f.default;
  return emptyOf(f.type);
}

function emptyOf(type: TypeSchema): unknown {
  switch (type.kind) {
    case 'array':
      return [];
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const f of type.struct.fields) out[f.name] = defaultOf(f);
      return out;
    }
    default:
      return Buffer.alloc(0);
  }
}
