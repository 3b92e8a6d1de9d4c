import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import avro from 'avsc';
import fc from 'fast-check';
import { AvroDecodeError, AvroReader, AvroWriter } from './avro-binary.ts';
import {
  AVRO_SOURCE_PROTOCOL_JSON,
  AVRO_SOURCE_PROTOCOL_MD5,
  type CallResponse,
  expectEnd,
  type HandshakeRequest,
  type HandshakeResponse,
  readCallRequest,
  readCallResponse,
  readHandshakeRequest,
  readHandshakeResponse,
  writeCallRequest,
  writeCallResponse,
  writeHandshakeRequest,
  writeHandshakeResponse,
} from './protocol.ts';

// avsc is an independent Avro implementation: the hand-written codec must agree with it byte for byte.
const md5 = { type: 'fixed', name: 'MD5', size: 16 };
const metaSchema = ['null', { type: 'map', values: 'bytes' }];
const handshakeRequestType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeRequest',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: md5 },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: metaSchema },
  ],
} as unknown as avro.Schema);
const handshakeResponseType = avro.Type.forSchema({
  type: 'record',
  name: 'HandshakeResponse',
  namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', md5] },
    { name: 'meta', type: metaSchema },
  ],
} as unknown as avro.Schema);
const eventSchema = {
  type: 'record',
  name: 'AvroFlumeEvent',
  fields: [
    { name: 'headers', type: { type: 'map', values: 'string' } },
    { name: 'body', type: 'bytes' },
  ],
};
const eventType = avro.Type.forSchema(eventSchema as unknown as avro.Schema);
const batchType = avro.Type.forSchema({ type: 'array', items: eventSchema } as unknown as avro.Schema);
const metaMapType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const stringType = avro.Type.forSchema('string');

const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const hashArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
const metaArb = fc.option(
  fc.dictionary(fc.string(), bytesArb(20), { maxKeys: 4 }).map((d) => new Map(Object.entries(d))),
  { nil: null },
);
const eventArb = fc.record({
  headers: fc.dictionary(fc.string(), fc.string(), { maxKeys: 6 }),
  body: bytesArb(200),
});
const metaObj = (m: Map<string, Buffer> | null) => (m === null ? null : Object.fromEntries(m));

const encode = (f: (w: AvroWriter) => void): Buffer => {
  const w = new AvroWriter();
  f(w);
  return w.toBuffer();
};

describe('AvroSourceProtocol', () => {
  it('hashes the protocol text Flume 1.11 compiles (license doc + compact JSON)', () => {
    assert.equal(
      AVRO_SOURCE_PROTOCOL_MD5.toString('hex'),
      createHash('md5').update(AVRO_SOURCE_PROTOCOL_JSON).digest('hex'),
    );
    // Cross-checked against the text a Go Flume client hashes for its handshake (goavro fork test).
    assert.equal(AVRO_SOURCE_PROTOCOL_MD5.toString('hex'), '86aadae2c45474c0fe93ffd0f2350a65');
    const p = JSON.parse(AVRO_SOURCE_PROTOCOL_JSON) as Record<string, unknown>;
    assert.deepEqual(Object.keys(p), ['protocol', 'namespace', 'doc', 'types', 'messages']);
    assert.match(p.doc as string, /^\* Licensed to the Apache Software Foundation/);
  });
});

describe('Avro IPC handshake codec', () => {
  it('HandshakeRequest: same bytes as avsc, and round-trips (property)', () => {
    fc.assert(
      fc.property(hashArb, fc.option(fc.string(), { nil: null }), hashArb, metaArb, (ch, cp, sh, meta) => {
        const h: HandshakeRequest = { clientHash: ch, clientProtocol: cp, serverHash: sh, meta };
        const ours = encode((w) => writeHandshakeRequest(w, h));
        const ref = handshakeRequestType.toBuffer({
          clientHash: ch,
          clientProtocol: cp,
          serverHash: sh,
          meta: metaObj(meta),
        });
        assert.deepEqual(ours, ref);
        const r = new AvroReader(ours);
        assert.deepEqual(readHandshakeRequest(r), h);
        expectEnd(r);
      }),
    );
  });

  it('HandshakeResponse: same bytes as avsc, and round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('BOTH', 'CLIENT', 'NONE' as const),
        fc.option(fc.string(), { nil: null }),
        fc.option(hashArb, { nil: null }),
        metaArb,
        (match, sp, sh, meta) => {
          const h: HandshakeResponse = { match, serverProtocol: sp, serverHash: sh, meta };
          const ours = encode((w) => writeHandshakeResponse(w, h));
          const ref = handshakeResponseType.toBuffer({
            match,
            serverProtocol: sp,
            serverHash: sh,
            meta: metaObj(meta),
          });
          assert.deepEqual(ours, ref);
          const r = new AvroReader(ours);
          assert.deepEqual(readHandshakeResponse(r), h);
          expectEnd(r);
        },
      ),
    );
  });
});

describe('Avro IPC call codec', () => {
  it('append and appendBatch requests: metadata, name, params as avsc writes them (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (events, batch) => {
        const message = batch ? 'appendBatch' : 'append';
        const sent = batch ? events : events.slice(0, 1);
        const ours = encode((w) => writeCallRequest(w, { meta: new Map(), message, events: sent }));
        const ref = Buffer.concat([
          metaMapType.toBuffer({}),
          stringType.toBuffer(message),
          batch ? batchType.toBuffer(sent) : eventType.toBuffer(sent[0]),
        ]);
        assert.deepEqual(ours, ref);
        const r = new AvroReader(ours);
        const back = readCallRequest(r);
        expectEnd(r);
        assert.equal(back.message, message);
        const plain = (es: readonly { headers: Record<string, string>; body: Buffer }[]) =>
          es.map((e) => ({ headers: { ...e.headers }, body: e.body }));
        assert.deepEqual(plain(back.events), plain(sent));
      }),
    );
  });

  it('decodes batches avsc writes in several blocks with byte sizes', () => {
    const events = [
      { headers: { a: 'b' }, body: Buffer.from('x') },
      { headers: {}, body: Buffer.from('yz') },
    ];
    // Two one-item blocks, each with a negative count followed by its size in bytes.
    const blocks = Buffer.concat(
      events.map((e) => {
        const item = eventType.toBuffer(e);
        return Buffer.concat([encode((w) => w.long(-1).long(item.length)), item]);
      }),
    );
    const payload = Buffer.concat([
      metaMapType.toBuffer({}),
      stringType.toBuffer('appendBatch'),
      blocks,
      Buffer.of(0),
    ]);
    const back = readCallRequest(new AvroReader(payload));
    assert.deepEqual(
      back.events.map((e) => e.body.toString()),
      ['x', 'yz'],
    );
  });

  it('responses: Status, and the error union; round-trip (property)', () => {
    const respArb: fc.Arbitrary<CallResponse> = fc.oneof(
      fc.record({
        meta: fc.constant(new Map<string, Buffer>()),
        error: fc.constant(false as const),
        status: fc.constantFrom('OK', 'FAILED', 'UNKNOWN' as const),
      }),
      fc.record({
        meta: fc.constant(new Map<string, Buffer>()),
        error: fc.constant(true as const),
        message: fc.string(),
      }),
    );
    fc.assert(
      fc.property(respArb, (resp) => {
        const buf = encode((w) => writeCallResponse(w, resp));
        const r = new AvroReader(buf);
        assert.deepEqual(readCallResponse(r), { ...resp });
        expectEnd(r);
      }),
    );
    // OK is: empty metadata, flag false, enum index 0.
    assert.deepEqual(
      encode((w) => writeCallResponse(w, { meta: new Map(), error: false, status: 'OK' })),
      Buffer.of(0, 0, 0),
    );
  });

  it('keeps a "__proto__" header as a plain header', () => {
    const buf = encode((w) =>
      w.stringMap(JSON.parse('{"__proto__":"x"}') as Record<string, string>).bytes(Buffer.alloc(0)),
    );
    const h = new AvroReader(buf).stringMap();
    assert.equal(Object.getPrototypeOf(h), Object.prototype);
    assert.deepEqual(Object.keys(h), ['__proto__']);
  });

  it('fuzz: arbitrary bytes either decode or throw AvroDecodeError, never loop or allocate wildly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const read of [readCallRequest, readHandshakeRequest, readCallResponse, readHandshakeResponse]) {
          try {
            read(new AvroReader(Buffer.from(bytes)));
          } catch (err) {
            assert.ok(err instanceof AvroDecodeError, String(err));
          }
        }
      }),
      { numRuns: 2000 },
    );
    // A batch claiming 2^62 events in a few bytes is refused before looping.
    const huge = Buffer.concat([
      Buffer.of(0),
      stringType.toBuffer('appendBatch'),
      encode((w) => w.long(2 ** 52)),
    ]);
    assert.throws(() => readCallRequest(new AvroReader(huge)), AvroDecodeError);
  });
});
