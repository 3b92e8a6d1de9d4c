/**
 * The Kafka message specs as runtime data (see schemas.generated.ts): field names, types, version
 * ranges, nullability, tags and defaults. The codecs do not read it (they are generated straight-line
 * code); tests walk it to build arbitrary messages, and tools can use it to describe messages.
 */

/** Inclusive version range; open ranges ("3+") end at 32767. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type PrimitiveKind =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records';

export type TypeSchema =
  | { readonly kind: PrimitiveKind }
  | { readonly kind: 'array'; readonly items: TypeSchema }
  | { readonly kind: 'struct'; readonly struct: StructSchema };

export interface FieldSchema {
  /** Property name in the generated types (camelCase of the spec name). */
  readonly name: string;
  readonly type: TypeSchema;
  /** Versions in which the field is on the wire; null when none. */
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  /** Versions in which the field travels in the tagged-field section. */
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  /** Versions using compact strings/bytes/arrays for this field (the message's flexible versions unless overridden). */
  readonly compactVersions: VersionRange | null;
  /** A non-default value may be dropped silently when encoding a version without the field. */
  readonly ignorable: boolean;
  /** Whether the TypeScript type admits null. */
  readonly nullable: boolean;
  /**
   * The default: a literal for bool, integer, float, string and uuid fields (int64 as bigint; a string
   * default may be null). For bytes, records, arrays and structs: null, or 'empty' for empty bytes, an
   * empty array or a struct with every field at its default.
   */
  readonly default: boolean | number | bigint | string | null;
}

export interface StructSchema {
  /** The generated TypeScript type name. */
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

export interface MessageSchema extends StructSchema {
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
}

export interface ApiSchema {
  readonly apiKey: number;
  /** The spec name without suffix, e.g. `Produce`. */
  readonly name: string;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
}

export function inVersions(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}
