import type { FieldSchema, StructSchema, TypeSchema } from './messages/schema.ts';
import { inVersions } from './messages/schema.ts';
import { apiSchemas } from './messages/schemas.generated.ts';

/**
 * Resets every field a version does not carry to its default, recursively. Code answering several
 * versions builds one response shape with every field it knows; the generated encoders refuse a
 * non-default value in a field the encoded version lacks (as Kafka's do), so a response is fitted to
 * the request's version before it is encoded. Fields the version has are kept as they are (tagged
 * fields included: leave those at their defaults unless a client needs them).
 */
export function fitToVersion<T>(schema: StructSchema, version: number, value: T): T {
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const f of schema.fields) {
    out[f.name] = inVersions(f.versions, version) ? fitValue(f.type, version, src[f.name]) : defaultOf(f);
  }
  return out as T;
}

const responseSchemaByKey = new Map(apiSchemas.map((s) => [s.apiKey, s.response]));

/** `fitToVersion` for the response of API `apiKey`; the body unchanged for an unknown key. */
export function fitResponseToVersion<T>(apiKey: number, version: number, body: T): T {
  const schema = responseSchemaByKey.get(apiKey);
  return schema === undefined ? body : fitToVersion(schema, version, body);
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
