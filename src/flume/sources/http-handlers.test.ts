import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BlobHandler,
  CoreBlobHandler,
  charsetOf,
  decodeText,
  encodeText,
  HttpBadRequestError,
  handlerClassName,
  parseJsonEvents,
} from './http-handlers.ts';

const JSON_CT = 'application/json';
const headersArb = fc.dictionary(fc.string(), fc.string(), { maxKeys: 6 });
const eventsArb = fc.array(fc.record({ headers: headersArb, body: fc.string() }), { maxLength: 6 });

function badRequest(body: string | Buffer, contentType: string | undefined = JSON_CT): string {
  try {
    parseJsonEvents(typeof body === 'string' ? Buffer.from(body) : body, contentType);
  } catch (err) {
    assert.ok(err instanceof HttpBadRequestError, `expected HttpBadRequestError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected the body to be refused');
}

describe('JSONHandler parsing', () => {
  it('reads headers and body of each event, in order', () => {
    const events = parseJsonEvents(
      Buffer.from('[{"headers":{"a":"b","c":"d"},"body":"random_body"},{"headers":{"e":"f"},"body":"x"}]'),
      JSON_CT,
    );
    assert.deepEqual(
      events.map((e) => ({ headers: e.headers, body: e.body.toString() })),
      [
        { headers: { a: 'b', c: 'd' }, body: 'random_body' },
        { headers: { e: 'f' }, body: 'x' },
      ],
    );
  });

  it('round-trips any events written as JSON, in UTF-8, UTF-16 and UTF-32 (property)', () => {
    fc.assert(
      fc.property(eventsArb, fc.constantFrom('utf-8', 'utf-16', 'utf-32' as const), (events, charset) => {
        const text = JSON.stringify(events);
        const got = parseJsonEvents(
          encodeText(text, charset),
          `application/json; charset=${charset.toUpperCase()}`,
        );
        assert.equal(got.length, events.length);
        got.forEach((e, i) => {
          assert.deepEqual(Object.entries(e.headers), Object.entries(events[i]!.headers));
          assert.equal(decodeText(e.body, charset), events[i]!.body.toWellFormed());
        });
      }),
    );
  });

  it('encodes bodies in the request charset, as Java does (UTF-16: big-endian with a BOM)', () => {
    const [e16] = parseJsonEvents(encodeText('[{"body":"A"}]', 'utf-16'), 'application/json;charset=utf-16');
    assert.equal(e16!.body.toString('hex'), 'feff0041');
    const [e32] = parseJsonEvents(
      encodeText('[{"body":"A"}]', 'utf-32'),
      'application/json; charset="UTF-32"',
    );
    assert.equal(e32!.body.toString('hex'), '00000041');
    const [e8] = parseJsonEvents(Buffer.from('[{"body":"é"}]'), undefined);
    assert.equal(e8!.body.toString('hex'), 'c3a9');
  });

  it('like Gson: numbers and booleans as their JSON text, null/missing body empty, other members ignored', () => {
    const [e] = parseJsonEvents(
      Buffer.from('[{"headers":{"n":1.50,"b":true,"z":null},"body":12e3,"extra":[1]}, {}]'),
      JSON_CT,
    );
    assert.deepEqual({ ...e!.headers }, { n: '1.50', b: 'true' });
    assert.equal(e!.body.toString(), '12e3');
    const empty = parseJsonEvents(Buffer.from('[{"headers":null,"body":null}]'), JSON_CT);
    assert.deepEqual(empty[0]!.headers, {});
    assert.equal(empty[0]!.body.length, 0);
    assert.deepEqual(parseJsonEvents(Buffer.from(' [ ] '), JSON_CT), []);
  });

  it('a header named __proto__ stays an ordinary header', () => {
    const [e] = parseJsonEvents(Buffer.from('[{"headers":{"__proto__":"x"},"body":""}]'), JSON_CT);
    assert.equal(Object.getPrototypeOf(e!.headers), Object.prototype);
    assert.deepEqual(Object.entries(e!.headers), [['__proto__', 'x']]);
  });

  it('refuses wrong shapes with a message naming what was expected', () => {
    assert.match(badRequest('not json'), /invalid JSON syntax.*expected a JSON array of events/);
    assert.match(badRequest(''), /invalid JSON syntax/);
    assert.match(badRequest('{"headers":{},"body":"x"}'), /expected a JSON array of events.*got an object/);
    assert.match(badRequest('null'), /got null/);
    assert.match(badRequest('[1]'), /event 0: expected an object/);
    assert.match(badRequest('[{"body":"a"}, null]'), /event 1: expected an object.*got null/);
    assert.match(badRequest('[{"headers":[]}]'), /"headers" to be an object/);
    assert.match(badRequest('[{"headers":{"a":{}}}]'), /header "a" to be a string, got an object/);
    assert.match(badRequest('[{"body":["x"]}]'), /"body" to be a string, got an array/);
    assert.match(badRequest('[] trailing'), /invalid JSON syntax/);
  });

  it('refuses charsets other than UTF-8/16/32, naming the supported ones', () => {
    assert.match(
      badRequest('[]', 'application/json; charset=ISO-8859-1'),
      /iso-8859-1.*UTF-8, UTF-16 and UTF-32/,
    );
  });

  it('fuzz: arbitrary bytes under any charset give events or HttpBadRequestError, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.string().map((s) => Buffer.from(`[{"headers":{${s}},"body":"x"}]`)),
          fc.json().map((s) => Buffer.from(s)),
        ),
        fc.constantFrom(
          undefined,
          JSON_CT,
          'application/json; charset=utf-16',
          'text/plain; charset=UTF-32',
          'x;charset=',
        ),
        (body, ct) => {
          try {
            const events = parseJsonEvents(body, ct);
            for (const e of events) {
              assert.ok(Buffer.isBuffer(e.body));
              for (const v of Object.values(e.headers)) assert.equal(typeof v, 'string');
            }
          } catch (err) {
            assert.ok(err instanceof HttpBadRequestError, String(err));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('charset and handler names', () => {
  it('reads the charset parameter of a Content-Type', () => {
    assert.equal(charsetOf(undefined), undefined);
    assert.equal(charsetOf('application/json'), undefined);
    assert.equal(charsetOf('application/json; Charset="UTF-16"'), 'utf-16');
    assert.equal(charsetOf('text/plain;foo=bar; charset=utf-8'), 'utf-8');
  });

  it('decodes with Java semantics: BOM picks the byte order, big-endian by default', () => {
    assert.equal(decodeText(Buffer.from('fffe4100', 'hex'), 'utf-16'), 'A');
    assert.equal(decodeText(Buffer.from('feff0041', 'hex'), 'utf-16'), 'A');
    assert.equal(decodeText(Buffer.from('0041', 'hex'), 'utf-16'), 'A');
    assert.equal(decodeText(Buffer.from('fffe000041000000', 'hex'), 'utf-32'), 'A');
    assert.equal(decodeText(Buffer.from('0000004100', 'hex'), 'utf-32'), 'A\ufffd');
    assert.equal(decodeText(Buffer.from('00110000', 'hex'), 'utf-32'), '\ufffd');
  });

  it('knows the Flume class names and the Sluice aliases, case-insensitively', () => {
    assert.equal(
      handlerClassName('org.apache.flume.source.http.JSONHandler'),
      'org.apache.flume.source.http.JSONHandler',
    );
    assert.equal(handlerClassName(' JSON '), 'org.apache.flume.source.http.JSONHandler');
    assert.equal(handlerClassName('blob'), 'org.apache.flume.sink.solr.morphline.BlobHandler');
    assert.equal(handlerClassName('org.example.rest.RestHandler'), undefined);
  });
});

describe('blob handlers', () => {
  it('BlobHandler: the body is one event, Content-Type and query parameters (first value) as headers', () => {
    const h = new BlobHandler(100);
    const [e, ...rest] = h.getEvents({
      contentType: 'application/octet-stream',
      params: new URLSearchParams('resourceName=a.avro&x=1&x=2'),
      body: Buffer.from([0, 1, 2]),
    });
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...e!.headers },
      { 'Content-Type': 'application/octet-stream', resourceName: 'a.avro', x: '1' },
    );
    assert.deepEqual([...e!.body], [0, 1, 2]);
    assert.equal(h.overflow, 'truncate');
    assert.equal(h.limitBytes, 100);
  });

  it('core BLOBHandler: mandatory parameters must be present', () => {
    const h = new CoreBlobHandler(10, ['basepath']);
    assert.throws(
      () =>
        h.getEvents({ contentType: undefined, params: new URLSearchParams('a=1'), body: Buffer.alloc(0) }),
      (err: unknown) => err instanceof HttpBadRequestError && /basepath/.test(err.message),
    );
    const [e] = h.getEvents({
      contentType: 'x',
      params: new URLSearchParams('basepath=/p'),
      body: Buffer.from('b'),
    });
    assert.deepEqual({ ...e!.headers }, { basepath: '/p' });
  });
});
