import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import fc from 'fast-check';
import { uncompressSync } from 'snappy';
import { defineConfig } from '../../config/index.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import { AvroEventSerializer, FLUME_EVENT_SCHEMA } from './avro-event-serializer.ts';
import { serializerFromSettings, serializerKeys, serializerKind } from './event-serializer.ts';
import { javaMapString, TextSerializer } from './text-serializer.ts';

/** Reads an Avro container file with avsc's own decoder (an independent implementation). */
async function readAvro(file: Buffer): Promise<{ codec: string; schema: unknown; records: FlumeEvent[] }> {
  const decoder = new avro.streams.BlockDecoder({
    codecs: {
      null: (b: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, b),
      deflate: (b: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, inflateRawSync(b)),
      snappy: (b: Buffer, cb: (err: Error | null, out?: Buffer) => void) => {
        const raw = uncompressSync(b.subarray(0, b.length - 4)) as Buffer;
        if (crc32(raw) >>> 0 !== b.readUInt32BE(b.length - 4)) return cb(new Error('snappy crc mismatch'));
        cb(null, raw);
      },
    },
  });
  const records: FlumeEvent[] = [];
  let codec = '';
  let schema: unknown;
  decoder.on('metadata', (type: avro.Type, c: string) => {
    codec = c;
    schema = type.schema();
  });
  decoder.on('data', (r: { headers: Record<string, string>; body: Buffer }) =>
    records.push({ headers: { ...r.headers }, body: Buffer.from(r.body) }),
  );
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  decoder.end(file);
  await done;
  return { codec, schema, records };
}

const headers = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'),
  fc.string({ maxLength: 12 }),
  { maxKeys: 4 },
);
const event = fc
  .record({ headers, body: fc.uint8Array({ maxLength: 200 }) })
  .map((e) => flumeEvent(Buffer.from(e.body), e.headers));
const batches = fc.array(fc.array(event, { maxLength: 20 }), { maxLength: 5 });

describe('text serializers', () => {
  it('text: each body then a newline; the bytes concatenate back (property)', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), fc.boolean(), (events, newline) => {
        const s = new TextSerializer({ withHeaders: false, appendNewline: newline });
        const out = s.encode(events);
        const expected = Buffer.concat(
          events.flatMap((e) => (newline ? [e.body, Buffer.from('\n')] : [e.body])),
        );
        assert.ok(out.equals(expected));
        assert.equal(s.header().length + s.trailer().length, 0);
      }),
    );
  });

  it('header_and_text: Java Map.toString, a space, the body, a newline', () => {
    const s = new TextSerializer({ withHeaders: true, appendNewline: true });
    const out = s.encode([flumeEvent('hello', { host: 'web1', timestamp: '5' }), flumeEvent('x')]);
    assert.equal(out.toString(), '{host=web1, timestamp=5} hello\n{} x\n');
    assert.equal(javaMapString({ a: 'b=c' }), '{a=b=c}');
  });
});

describe('avro_event serializer', () => {
  for (const codec of ['null', 'deflate', 'snappy'] as const) {
    it(`${codec}: avsc reads back every event of every batch, with Flume's schema (property)`, async () => {
      await fc.assert(
        fc.asyncProperty(batches, fc.integer({ min: 32, max: 600 }), async (bs, syncIntervalBytes) => {
          const s = new AvroEventSerializer({ codec, syncIntervalBytes });
          const file = Buffer.concat([s.header(), ...bs.map((b) => s.encode(b)), s.trailer()]);
          const read = await readAvro(file);
          assert.equal(read.codec, codec);
          assert.deepEqual(read.schema, FLUME_EVENT_SCHEMA);
          assert.deepEqual(read.records, bs.flat());
        }),
        { numRuns: 40 },
      );
    });
  }

  it('closes a block (sync marker) every syncIntervalBytes and at the end of each batch', () => {
    const s = new AvroEventSerializer({ codec: 'null', syncIntervalBytes: 100 });
    const body = Buffer.alloc(60, 1);
    const count = (b: Buffer) => {
      let n = 0;
      for (let i = b.indexOf(s.sync); i >= 0; i = b.indexOf(s.sync, i + 1)) n++;
      return n;
    };
    assert.equal(count(s.encode([flumeEvent(body), flumeEvent(body), flumeEvent(body)])), 2);
    assert.equal(count(s.encode([flumeEvent(body)])), 1);
    assert.equal(s.encode([]).length, 0);
  });
});

describe('serializer configuration', () => {
  const def = defineConfig(serializerKeys('serializer'));
  const parse = (entries: Record<string, string>) =>
    def.parse([{ source: 't', entries: Object.entries(entries).map(([key, value]) => ({ key, value })) }])
      .values as Record<string, unknown>;

  it("accepts Flume's aliases in any case and the builder class names", () => {
    assert.equal(serializerKind(String(parse({ serializer: 'Text' }).serializer)), 'text');
    assert.equal(
      serializerKind(String(parse({ serializer: 'header_and_text' }).serializer)),
      'header_and_text',
    );
    assert.equal(
      serializerKind(
        String(
          parse({ serializer: 'org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder' })
            .serializer,
        ),
      ),
      'avro_event',
    );
    const v = parse({ serializer: 'avro_event', 'serializer.compressionCodec': 'snappy' });
    assert.ok(serializerFromSettings(v, 'serializer')() instanceof AvroEventSerializer);
    assert.equal(v['serializer.syncIntervalBytes'], 2048000);
  });

  it('refuses unknown serializers and codecs, naming the key', () => {
    assert.throws(() => parse({ serializer: 'org.example.Mine$Builder' }), /serializer/);
    assert.throws(
      () => parse({ serializer: 'avro_event', 'serializer.compressionCodec': 'bzip2' }),
      /compressionCodec/,
    );
  });
});
