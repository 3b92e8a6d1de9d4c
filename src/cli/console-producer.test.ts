import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, lineReaderOptions, parseLine } from './console-producer.ts';

const b = (s: string) => Buffer.from(s, 'utf8');
const str = (x: Buffer | null) => (x === null ? null : x.toString('utf8'));

describe('console-producer line reader', () => {
  it('splits bytes into lines across chunk boundaries, dropping \\r before \\n, keeping the tail', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(b('one\ntw')).map(String), ['one']);
    assert.deepEqual(s.push(b('o\r\n\nthr')).map(String), ['two', '']);
    assert.deepEqual(s.push(b('ee')).map(String), []);
    assert.equal(String(s.end()), 'three');
    assert.equal(s.end(), undefined);
  });

  it('keeps non-UTF-8 bytes unchanged', () => {
    const s = new LineSplitter();
    const lines = s.push(Buffer.from([0xff, 0x00, 0xfe, 0x0a]));
    assert.deepEqual([...lines[0]!], [0xff, 0x00, 0xfe]);
  });

  it('without parse.key the whole line is the value', () => {
    const r = parseLine(b('k:v'), lineReaderOptions(new Map()), 1);
    assert.equal(r.key, null);
    assert.equal(str(r.value), 'k:v');
  });

  it('parse.key splits on the first key.separator', () => {
    const o = lineReaderOptions(
      new Map([
        ['parse.key', 'true'],
        ['key.separator', ':'],
      ]),
    );
    const r = parseLine(b('user-1:a:b'), o, 1);
    assert.equal(str(r.key), 'user-1');
    assert.equal(str(r.value), 'a:b');
    assert.throws(() => parseLine(b('nokey'), o, 7), /No key separator found on line number 7: 'nokey'/);
  });

  it('ignore.error sends a line without separator as a value', () => {
    const o = lineReaderOptions(
      new Map([
        ['parse.key', 'true'],
        ['ignore.error', 'true'],
      ]),
    );
    const r = parseLine(b('plain'), o, 1);
    assert.equal(r.key, null);
    assert.equal(str(r.value), 'plain');
  });

  it('parse.headers and null.marker', () => {
    const o = lineReaderOptions(
      new Map([
        ['parse.headers', 'true'],
        ['parse.key', 'true'],
        ['null.marker', 'NULL'],
      ]),
    );
    const r = parseLine(b('h1:v1,h2:NULL\tNULL\tvalue'), o, 1);
    assert.deepEqual(
      r.headers.map(([k, v]) => [str(k), str(v)]),
      [
        ['h1', 'v1'],
        ['h2', null],
      ],
    );
    assert.equal(r.key, null);
    assert.equal(str(r.value), 'value');
  });
});
