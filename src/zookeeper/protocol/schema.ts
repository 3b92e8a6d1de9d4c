/**
 * The jute records as runtime data (see records.generated.ts). The codecs do not read it (they are
 * generated straight-line code); tests walk it to build arbitrary records, and tools can use it to
 * describe a record.
 */
import type { ByteReader, ByteWriter } from '../../base/index.ts';

/** The jute primitive types ZooKeeper's IDL uses. */
export type JutePrimitive = 'int' | 'long' | 'boolean' | 'ustring' | 'buffer';

export type JuteType =
  | { readonly kind: JutePrimitive }
  | { readonly kind: 'vector'; readonly items: JuteType }
  | { readonly kind: 'record'; readonly record: RecordSchema };

export interface JuteField {
  /** Property name in the generated interface (the IDL name, first letter lower case). */
  readonly name: string;
  readonly type: JuteType;
}

export interface RecordSchema {
  /** The IDL class name, also the generated interface name, e.g. `Stat`. */
  readonly name: string;
  /** The IDL module, e.g. `org.apache.zookeeper.data`. */
  readonly module: string;
  readonly fields: readonly JuteField[];
  /** The fewest bytes an encoded record takes (every string, buffer and vector empty or null). */
  readonly minBytes: number;
}

/** A record's schema with its generated decoder and encoder. */
export interface RecordCodec<T = unknown> {
  readonly schema: RecordSchema;
  decode(r: ByteReader): T;
  encode(w: ByteWriter, m: T): void;
}
