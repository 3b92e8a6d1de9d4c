import type { KeySpec } from '../../config/index.ts';
import { atLeast } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import { type AvroCodec, AvroEventSerializer } from './avro-event-serializer.ts';
import { TextSerializer } from './text-serializer.ts';

/**
 * Flume's EventSerializer, shaped for batch writes: one instance per output file. The sink writes
 * `header()` once when it creates the file, `encode(batch)` for each batch (the bytes of one
 * Flume flush), and `trailer()` before closing. Nothing is buffered inside the serializer, so the
 * bytes a sink has synced are a complete, readable file prefix.
 */
export interface EventSerializer {
  header(): Buffer;
  encode(events: readonly FlumeEvent[]): Buffer;
  trailer(): Buffer;
}

/** Makes the serializer of each new file. */
export type SerializerFactory = () => EventSerializer;

const TEXT_CLASS = 'org.apache.flume.serialization.BodyTextEventSerializer$Builder';
const HEADER_CLASS = 'org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder';
const AVRO_CLASS = 'org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder';

/** Flume's serializer aliases (EventSerializerType) and the builder class names they stand for. */
export const SERIALIZER_VALUES = [
  'TEXT',
  'HEADER_AND_TEXT',
  'AVRO_EVENT',
  TEXT_CLASS,
  HEADER_CLASS,
  AVRO_CLASS,
] as const;

export type SerializerKind = 'text' | 'header_and_text' | 'avro_event';

/**
 * The keys of a serializer under `prefix` (`sink.serializer` for file_roll, `serializer` for hdfs):
 * the type and the sub-keys Flume's built-in serializers read. Types are case-insensitive; the
 * `org.apache.flume.sink.hdfs.AvroEventSerializer$Builder` (schema from a header) is not built and
 * is refused as any other value.
 */
export function serializerKeys(prefix: string): Record<string, KeySpec> {
  return {
    [prefix]: {
      type: 'enum',
      values: SERIALIZER_VALUES,
      caseInsensitive: true,
      default: 'TEXT',
      importance: 'medium',
      doc: 'Event serializer: TEXT (body), HEADER_AND_TEXT ({k=v} body) or AVRO_EVENT (Avro container).',
    },
    [`${prefix}.appendNewline`]: {
      type: 'boolean',
      default: true,
      importance: 'low',
      doc: 'TEXT and HEADER_AND_TEXT: a newline after each event.',
    },
    [`${prefix}.syncIntervalBytes`]: {
      type: 'int',
      default: 2048000,
      validator: atLeast(32),
      importance: 'low',
      doc: 'AVRO_EVENT: approximate bytes per Avro block (a sync marker after each).',
    },
    [`${prefix}.compressionCodec`]: {
      type: 'enum',
      values: ['null', 'deflate', 'snappy'],
      default: 'null',
      importance: 'low',
      doc: 'AVRO_EVENT: block codec.',
    },
  };
}

/** The serializer kind a parsed `prefix` value names. */
export function serializerKind(value: string): SerializerKind {
  const v = value.toUpperCase();
  if (v === 'HEADER_AND_TEXT' || v === HEADER_CLASS.toUpperCase()) return 'header_and_text';
  if (v === 'AVRO_EVENT' || v === AVRO_CLASS.toUpperCase()) return 'avro_event';
  return 'text';
}

/** A factory for the serializer configured under `prefix` in parsed settings. */
export function serializerFromSettings(
  settings: Readonly<Record<string, unknown>>,
  prefix: string,
): SerializerFactory {
  const kind = serializerKind(String(settings[prefix] ?? 'TEXT'));
  if (kind === 'avro_event') {
    const codec = (settings[`${prefix}.compressionCodec`] ?? 'null') as AvroCodec;
    const syncIntervalBytes = (settings[`${prefix}.syncIntervalBytes`] ?? 2048000) as number;
    return () => new AvroEventSerializer({ codec, syncIntervalBytes });
  }
  const appendNewline = (settings[`${prefix}.appendNewline`] ?? true) as boolean;
  const withHeaders = kind === 'header_and_text';
  return () => new TextSerializer({ withHeaders, appendNewline });
}
