import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import avro from 'avsc';
import fc from 'fast-check';
import { startWebHdfsServer, type WebHdfsTestServer } from '../../../test/support/webhdfs-server.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import { flumeEvent } from '../api/event.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { type EscapeOptions, escapePath, PathEscapeError } from './hdfs-path.ts';
import { HdfsSink, hdfsSinkConfig, hdfsSinkOptions } from './hdfs-sink.ts';
import { encodeVLong, SequenceFileEncoder, SYNC_INTERVAL } from './sequence-file.ts';
import { WebHdfsClient, WebHdfsError } from './webhdfs-client.ts';

const UTC: EscapeOptions = {
  round: false,
  roundValue: 1,
  roundUnit: 'second',
  useLocalTimeStamp: false,
  timeZone: 'UTC',
};
// 2026-03-07 14:05:09.123 UTC, a Saturday, day 66 of the year.
const TS = String(Date.UTC(2026, 2, 7, 14, 5, 9, 123));

/** Hadoop's WritableUtils.readVLong, for reading back what the writer produced. */
function readVLong(b: Buffer, at: number): [value: number, next: number] {
  const first = b.readInt8(at);
  if (first >= -112) return [first, at + 1];
  const negative = first < -120;
  const size = negative ? -(first + 120) : -(first + 112);
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[at + 1 + i]!);
  return [Number(negative ? ~v : v), at + 1 + size];
}

/** A minimal SequenceFile reader: header fields, then (key, value) records, skipping sync escapes. */
function readSequenceFile(b: Buffer) {
  assert.equal(b.subarray(0, 3).toString(), 'SEQ');
  assert.equal(b[3], 6);
  let at = 4;
  const str = (): string => {
    const [n, next] = readVLong(b, at);
    at = next + n;
    return b.subarray(next, next + n).toString();
  };
  const keyClass = str();
  const valueClass = str();
  assert.deepEqual([...b.subarray(at, at + 2)], [0, 0], 'not compressed');
  at += 2;
  assert.equal(b.readInt32BE(at), 0, 'no metadata');
  at += 4;
  const sync = b.subarray(at, at + 16);
  at += 16;
  const records: { key: bigint; value: Buffer }[] = [];
  let syncs = 0;
  while (at < b.length) {
    const length = b.readInt32BE(at);
    if (length === -1) {
      assert.ok(b.subarray(at + 4, at + 20).equals(sync), 'sync marker');
      syncs++;
      at += 20;
      continue;
    }
    const keyLength = b.readInt32BE(at + 4);
    const key = b.readBigInt64BE(at + 8);
    const raw = b.subarray(at + 8 + keyLength, at + 8 + length);
    let value: Buffer;
    if (valueClass.endsWith('BytesWritable')) value = raw.subarray(4, 4 + raw.readInt32BE(0));
    else {
      const [n, next] = readVLong(raw, 0);
      value = raw.subarray(next, next + n);
    }
    records.push({ key, value });
    at += 8 + length;
  }
  return { keyClass, valueClass, records, syncs };
}

const layer = (values: Record<string, string>) => [
  { source: 'test', entries: Object.entries(values).map(([key, value]) => ({ key, value })) },
];

describe('HDFS path escapes (Flume BucketPath)', () => {
  it('replaces time escapes from the timestamp header, headers and literals', () => {
    const h = { timestamp: TS, host: 'web1' };
    const cases: [string, string][] = [
      ['/flume/%Y-%m-%d/%H%M/%S', '/flume/2026-03-07/1405/09'],
      ['%y %n %e %k %I %p', '26 3 7 14 02 pm'],
      ['%a %A %b %B', 'Sat Saturday Mar March'],
      ['%j %D %z', '066 03/07/26 +0000'],
      ['%s %t', `${Math.floor(Number(TS) / 1000)} ${TS}`],
      ['/logs/%{host}/%{missing}x', '/logs/web1/x'],
      ['100%% %q %', '100%% %q %'],
    ];
    for (const [template, expected] of cases) assert.equal(escapePath(template, h, UTC), expected, template);
  });

  it('rounds the timestamp down, uses another zone, or the clock', () => {
    const h = { timestamp: TS };
    assert.equal(
      escapePath('%H:%M:%S', h, { ...UTC, round: true, roundValue: 10, roundUnit: 'minute' }),
      '14:00:00',
    );
    assert.equal(escapePath('%H %z', h, { ...UTC, timeZone: 'Asia/Kolkata' }), '19 +0530');
    const clock = Date.UTC(2030, 0, 2, 3, 4, 5);
    assert.equal(escapePath('%Y%m%d', {}, { ...UTC, useLocalTimeStamp: true, now: () => clock }), '20300102');
  });

  it('fails an event without a timestamp when the path needs one, as Flume does', () => {
    assert.throws(() => escapePath('/a/%Y', {}, UTC), PathEscapeError);
    assert.throws(() => escapePath('/a/%Y', { timestamp: 'soon' }, UTC), /timestamp/);
    assert.equal(escapePath('/a/%{x}', {}, UTC), '/a/');
  });
});

describe('SequenceFile writer', () => {
  it('encodes vlongs as Hadoop does', () => {
    assert.deepEqual([...encodeVLong(127)], [0x7f]);
    assert.deepEqual([...encodeVLong(-112)], [0x90]);
    assert.deepEqual([...encodeVLong(128)], [0x8f, 0x80]);
    assert.deepEqual([...encodeVLong(256)], [0x8e, 0x01, 0x00]);
    assert.deepEqual([...encodeVLong(-113)], [0x87, 0x70]);
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const b = encodeVLong(n);
        assert.deepEqual(readVLong(b, 0), [n, b.length]);
      }),
    );
  });

  it('writes records a reader gets back, with sync markers every SYNC_INTERVAL bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 40 }),
        fc.constantFrom('Writable' as const, 'Text' as const),
        (bodies, format) => {
          const enc = new SequenceFileEncoder(format);
          const parts = [enc.header(), ...bodies.map((b, i) => enc.record(1000 + i, Buffer.from(b)))];
          const file = Buffer.concat(parts);
          const read = readSequenceFile(file);
          assert.equal(read.keyClass, 'org.apache.hadoop.io.LongWritable');
          assert.equal(
            read.valueClass,
            format === 'Writable' ? 'org.apache.hadoop.io.BytesWritable' : 'org.apache.hadoop.io.Text',
          );
          assert.deepEqual(
            read.records.map((r) => [r.key, [...r.value]]),
            bodies.map((b, i) => [BigInt(1000 + i), [...b]]),
          );
          if (file.length > 2 * SYNC_INTERVAL + 700) assert.ok(read.syncs >= 1);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('HdfsSink on local paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-hdfs-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  async function setup(dir: string, keys: Record<string, string>, now?: () => number) {
    const parsed = hdfsSinkConfig.parse(layer({ 'hdfs.path': `file://${dir}/%Y-%m-%d`, ...keys }));
    const channel = new MemoryChannel('c', { capacity: 1000, transactionCapacity: 100, keepAliveMs: 0 });
    await channel.start();
    const options = { ...hdfsSinkOptions(parsed.values as Record<string, unknown>), checkEveryMs: 10 };
    const sink = new HdfsSink('k', channel, now ? { ...options, now } : options, new MemoryLogger());
    await sink.start();
    const put = async (n: number, from = 0) => {
      const tx = channel.getTransaction();
      tx.begin();
      for (let i = from; i < from + n; i++) tx.put(flumeEvent(`line ${i}`, { timestamp: TS }));
      await tx.commit();
      tx.close();
    };
    return { sink, put };
  }

  const files = (dir: string) => readdirSync(join(dir, '2026-03-07')).sort();

  it('DataStream: a dated directory, in-use .tmp files renamed on rollCount and on stop', async () => {
    const dir = join(root, 'ds');
    const { sink, put } = await setup(dir, {
      'hdfs.fileType': 'DataStream',
      'hdfs.rollCount': '3',
      'hdfs.rollSize': '0',
      'hdfs.rollInterval': '0',
      'hdfs.batchSize': '2',
    });
    await put(4);
    await sink.process(); // 2 events: open, not rolled
    assert.equal(files(dir).length, 1);
    assert.match(files(dir)[0]!, /^FlumeData\.\d+\.tmp$/);
    await sink.process(); // 4 events: rolled at 3
    await sink.stop();
    const names = files(dir);
    assert.equal(names.length, 1, 'one file: 4 events, rolled after the batch that reached 3');
    assert.match(names[0]!, /^FlumeData\.\d+$/);
    assert.equal(
      readFileSync(join(dir, '2026-03-07', names[0]!), 'utf8'),
      'line 0\nline 1\nline 2\nline 3\n',
    );
    assert.equal(sink.counters.get('EventDrainSuccessCount'), 4);
  });

  it('CompressedStream gzip, header_and_text, and rollInterval by the clock', async () => {
    const dir = join(root, 'gz');
    let now = 1_000_000;
    const { sink, put } = await setup(
      dir,
      {
        'hdfs.fileType': 'CompressedStream',
        'hdfs.codeC': 'gzip',
        'hdfs.rollInterval': '5',
        'hdfs.rollCount': '0',
        'hdfs.rollSize': '0',
        serializer: 'header_and_text',
      },
      () => now,
    );
    await put(2);
    await sink.process();
    assert.match(files(dir)[0]!, /\.gz\.tmp$/);
    now += 5000;
    for (let i = 0; i < 100 && files(dir)[0]!.endsWith('.tmp'); i++)
      await new Promise((r) => setTimeout(r, 10));
    const [name] = files(dir);
    assert.match(name!, /^FlumeData\.\d+\.gz$/);
    assert.equal(
      gunzipSync(readFileSync(join(dir, '2026-03-07', name!))).toString(),
      `{timestamp=${TS}} line 0\n{timestamp=${TS}} line 1\n`,
    );
    await sink.stop();
  });

  it('SequenceFile (the default) holds the timestamp keys and the bodies', async () => {
    const dir = join(root, 'seq');
    const { sink, put } = await setup(dir, {
      'hdfs.rollCount': '0',
      'hdfs.rollSize': '0',
      'hdfs.rollInterval': '0',
    });
    await put(3);
    await sink.process();
    await sink.stop();
    const [name] = files(dir);
    const read = readSequenceFile(readFileSync(join(dir, '2026-03-07', name!)));
    assert.deepEqual(
      read.records.map((r) => [r.key, r.value.toString()]),
      [0, 1, 2].map((i) => [BigInt(TS), `line ${i}`]),
    );
  });

  it('an event without a timestamp rolls the batch back and stays in the channel', async () => {
    const dir = join(root, 'nots');
    const parsed = hdfsSinkConfig.parse(layer({ 'hdfs.path': `${dir}/%Y`, 'hdfs.fileType': 'DataStream' }));
    const channel = new MemoryChannel('c', { capacity: 10, transactionCapacity: 10, keepAliveMs: 0 });
    await channel.start();
    const sink = new HdfsSink(
      'k',
      channel,
      hdfsSinkOptions(parsed.values as Record<string, unknown>),
      new MemoryLogger(),
    );
    const tx = channel.getTransaction();
    tx.begin();
    tx.put(flumeEvent('no time'));
    await tx.commit();
    tx.close();
    await assert.rejects(sink.process(), PathEscapeError);
    assert.equal(channel.counters.get('ChannelSize'), 1);
    await sink.stop();
  });

  it("applies Flume's codec rules at configuration time, naming the key", () => {
    const p = { 'hdfs.path': '/x' };
    assert.throws(
      () => hdfsSinkConfig.parse(layer({ ...p, 'hdfs.codeC': 'bzip2' })),
      /hdfs\.codeC[\s\S]*gzip/,
    );
    assert.throws(
      () => hdfsSinkConfig.parse(layer({ ...p, 'hdfs.fileType': 'DataStream', 'hdfs.codeC': 'gzip' })),
      /hdfs\.codeC/,
    );
    assert.throws(
      () => hdfsSinkConfig.parse(layer({ ...p, 'hdfs.fileType': 'CompressedStream' })),
      /hdfs\.fileType/,
    );
    assert.throws(() => hdfsSinkConfig.parse(layer({ 'hdfs.path': 'relative/dir' })), /hdfs\.path/);
    assert.throws(() => hdfsSinkConfig.parse(layer({ ...p, serializer: 'bogus' })), /serializer/);
  });

  it('avro_event in a DataStream file, rolled by rollSize (event body bytes)', async () => {
    const dir = join(root, 'avro');
    const { sink, put } = await setup(dir, {
      'hdfs.fileType': 'DataStream',
      serializer: 'avro_event',
      'serializer.compressionCodec': 'deflate',
      'hdfs.fileSuffix': '.avro',
      'hdfs.rollSize': '12',
      'hdfs.rollCount': '0',
      'hdfs.rollInterval': '0',
      'hdfs.batchSize': '1',
    });
    await put(3); // "line 0" is 6 bytes: the second event reaches rollSize
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    const names = files(dir);
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, /^FlumeData\.\d+\.avro$/);
    const bodies: string[] = [];
    for (const n of names) {
      const decoder = new avro.streams.BlockDecoder();
      decoder.on('data', (r: { body: Buffer }) => bodies.push(r.body.toString()));
      const done = new Promise((r) => decoder.on('end', r));
      decoder.end(readFileSync(join(dir, '2026-03-07', n)));
      await done;
    }
    assert.deepEqual(bodies, ['line 0', 'line 1', 'line 2']);
  });

  it('idleTimeout closes and renames a file nobody writes to', async () => {
    const dir = join(root, 'idle');
    let now = 50_000;
    const { sink, put } = await setup(
      dir,
      {
        'hdfs.fileType': 'DataStream',
        'hdfs.idleTimeout': '2',
        'hdfs.rollInterval': '0',
        'hdfs.rollCount': '0',
        'hdfs.rollSize': '0',
        'hdfs.inUsePrefix': '_',
      },
      () => now,
    );
    await put(1);
    await sink.process();
    assert.match(files(dir)[0]!, /^_FlumeData\.\d+\.tmp$/);
    now += 2000;
    for (let i = 0; i < 200 && files(dir)[0]!.startsWith('_'); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.match(files(dir)[0]!, /^FlumeData\.\d+$/);
    await sink.stop();
  });
});

describe('HdfsSink on hdfs:// over WebHDFS (in-process WebHDFS server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-webhdfs-'));
  let server: WebHdfsTestServer;
  before(async () => {
    server = await startWebHdfsServer(join(root, 'hdfs'));
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('the client: CREATE/APPEND/OPEN through 307 redirects, MKDIRS, RENAME, GETFILESTATUS, DELETE, errors', async () => {
    const c = new WebHdfsClient({ url: server.url, user: 'flume', timeoutMs: 5000 });
    assert.equal(await c.mkdirs('/a/b'), true);
    await c.create('/a/b/f', Buffer.from('one '));
    await c.append('/a/b/f', Buffer.from('two'));
    assert.equal((await c.open('/a/b/f')).toString(), 'one two');
    await assert.rejects(c.create('/a/b/f', Buffer.from('x')), (e: WebHdfsError) => {
      assert.equal(e.exception, 'FileAlreadyExistsException');
      return true;
    });
    assert.equal((await c.getFileStatus('/a/b/f'))?.length, 7);
    assert.equal(await c.getFileStatus('/a/nope'), null);
    assert.equal(await c.rename('/a/b/f', '/a/g'), true);
    assert.equal(await c.rename('/a/b/f', '/a/h'), false);
    assert.deepEqual(
      (await c.listStatus('/a')).map((s) => [s.pathSuffix, s.type]),
      [
        ['b', 'DIRECTORY'],
        ['g', 'FILE'],
      ],
    );
    assert.equal(await c.delete('/a', true), true);
    assert.equal(await c.getFileStatus('/a'), null);
    assert.ok(
      server.requests.some((r) => r.startsWith('DN PUT CREATE /a/b/f')),
      'data went to the datanode',
    );
  });

  it('writes SequenceFiles under the escaped path, renames on roll, and retries a failed rename', async () => {
    const parsed = hdfsSinkConfig.parse(
      layer({
        'hdfs.path': 'hdfs://127.0.0.1:8020/flume/%{app}/%Y-%m-%d',
        'sluice.webhdfs.port': String(server.port),
        'hdfs.rollCount': '2',
        'hdfs.rollSize': '0',
        'hdfs.rollInterval': '0',
        'hdfs.writeFormat': 'Text',
        'hdfs.retryInterval': '0',
      }),
    );
    const channel = new MemoryChannel('c', { capacity: 100, transactionCapacity: 100, keepAliveMs: 0 });
    await channel.start();
    const sink = new HdfsSink(
      'k',
      channel,
      hdfsSinkOptions(parsed.values as Record<string, unknown>),
      new MemoryLogger(),
    );
    await sink.start();
    const tx = channel.getTransaction();
    tx.begin();
    for (let i = 0; i < 3; i++) tx.put(flumeEvent(`e${i}`, { timestamp: TS, app: 'web' }));
    await tx.commit();
    tx.close();
    server.failNext('RENAME');
    await sink.process();
    const dir = server.local('/flume/web/2026-03-07');
    for (let i = 0; i < 200 && readdirSync(dir).filter((n) => !n.endsWith('.tmp')).length < 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await sink.stop();
    const names = readdirSync(dir).sort();
    // Rolls are checked after each batch: the batch of 3 reached rollCount 2, one file.
    assert.equal(names.length, 1);
    for (const n of names) assert.match(n, /^FlumeData\.\d+$/, 'renamed after a retry');
    const all = names.flatMap((n) =>
      readSequenceFile(readFileSync(join(dir, n))).records.map((r) => r.value.toString()),
    );
    assert.deepEqual(all, ['e0', 'e1', 'e2']);
    assert.equal(
      readSequenceFile(readFileSync(join(dir, names[0]!))).valueClass,
      'org.apache.hadoop.io.Text',
    );
    assert.ok(sink.counters.get('ConnectionFailedCount') >= 1);
  });

  it('a WebHDFS failure rolls the batch back into the channel', async () => {
    const parsed = hdfsSinkConfig.parse(
      layer({
        'hdfs.path': 'hdfs://127.0.0.1/fail',
        'sluice.webhdfs.port': String(server.port),
        'hdfs.fileType': 'DataStream',
      }),
    );
    const channel = new MemoryChannel('c', { capacity: 10, transactionCapacity: 10, keepAliveMs: 0 });
    await channel.start();
    const sink = new HdfsSink(
      'k',
      channel,
      hdfsSinkOptions(parsed.values as Record<string, unknown>),
      new MemoryLogger(),
    );
    const tx = channel.getTransaction();
    tx.begin();
    tx.put(flumeEvent('x'));
    await tx.commit();
    tx.close();
    server.failNext('CREATE');
    await assert.rejects(sink.process(), WebHdfsError);
    assert.equal(channel.counters.get('ChannelSize'), 1);
    assert.equal(sink.counters.get('EventWriteFail'), 1);
    await sink.process();
    await sink.stop();
    const [name] = readdirSync(server.local('/fail'));
    assert.equal(readFileSync(join(server.local('/fail'), name!), 'utf8'), 'x\n');
  });
});
