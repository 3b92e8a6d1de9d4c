import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordsBatch } from '@platformatic/kafka';
import {
  type ConsumedRecord,
  formatRecord,
  formatterOptions,
  groupSettings,
  recordsFrom,
} from './console-consumer.ts';

const rec: ConsumedRecord = {
  partition: 2,
  offset: 5n,
  timestampType: 'CreateTime',
  timestamp: 1700000000000n,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
};

function batch(firstOffset: bigint, count: number, attributes = 0): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: count - 1,
    firstTimestamp: 1000n,
    maxTimestamp: 2000n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: Array.from({ length: count }, (_, i) => ({
      length: 0,
      attributes: 0,
      timestampDelta: BigInt(i),
      offsetDelta: i,
      key: null,
      value: Buffer.from(`v${i}`),
      headers: [],
    })),
  };
}

describe('console-consumer formatter', () => {
  it('prints only the value by default', () => {
    assert.equal(formatRecord(rec, formatterOptions(new Map())).toString(), 'v\n');
  });

  it("orders columns as Kafka's DefaultMessageFormatter", () => {
    const o = formatterOptions(
      new Map([
        ['print.timestamp', 'true'],
        ['print.partition', 'true'],
        ['print.offset', 'true'],
        ['print.key', 'true'],
      ]),
    );
    assert.equal(formatRecord(rec, o).toString(), 'CreateTime:1700000000000\tPartition:2\tOffset:5\tk\tv\n');
  });

  it('prints headers, NO_HEADERS, null keys and custom separators', () => {
    const o = formatterOptions(
      new Map([
        ['print.headers', 'true'],
        ['print.key', 'true'],
        ['key.separator', ' | '],
        ['line.separator', ';'],
      ]),
    );
    assert.equal(formatRecord({ ...rec, key: null }, o).toString(), 'NO_HEADERS | null | v;');
    const withHeaders = {
      ...rec,
      headers: [
        [Buffer.from('a'), Buffer.from('1')],
        [Buffer.from('b'), null],
      ] as [Buffer, Buffer | null][],
    };
    assert.equal(formatRecord(withHeaders, o).toString(), 'a:1,b:null | k | v;');
  });
});

describe('console-consumer records', () => {
  it('skips records before the fetch offset and advances past the last batch', () => {
    const { records, next } = recordsFrom([batch(10n, 3), batch(13n, 2)], 0, 11n);
    assert.deepEqual(
      records.map((r) => r.offset),
      [11n, 12n, 13n, 14n],
    );
    assert.equal(next, 15n);
    assert.equal(records[0]!.timestamp, 1001n);
    assert.equal(records[0]!.timestampType, 'CreateTime');
  });

  it('skips control batches but moves past them; LogAppendTime uses the batch max timestamp', () => {
    const { records, next } = recordsFrom([batch(0n, 1, 0x20), batch(1n, 1, 0x08)], 3, 0n);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.offset, 1n);
    assert.equal(records[0]!.partition, 3);
    assert.equal(records[0]!.timestampType, 'LogAppendTime');
    assert.equal(records[0]!.timestamp, 2000n);
    assert.equal(next, 2n);
  });
});

describe('console-consumer --group', () => {
  const props = (entries: [string, string][] = []) => new Map(entries);

  it('without a group id the tool assigns partitions itself', () => {
    assert.equal(groupSettings({}, props()), undefined);
  });

  it('--group or group.id; Kafka defaults: latest, auto-commit every 5 s, classic protocol', () => {
    assert.deepEqual(groupSettings({ group: 'g' }, props()), {
      group: 'g',
      reset: 'latest',
      protocol: 'classic',
      autoCommit: true,
      autoCommitIntervalMs: 5000,
    });
    assert.equal(groupSettings({}, props([['group.id', 'from-props']]))?.group, 'from-props');
    assert.equal(groupSettings({ group: 'g' }, props([['group.id', 'g']]))?.group, 'g');
    assert.throws(
      () => groupSettings({ group: 'a' }, props([['group.id', 'b']])),
      /The group ids provided in different places .* do not match\. Detected group ids: 'a', 'b'/,
    );
  });

  it('--from-beginning means auto.offset.reset=earliest and conflicts with another reset', () => {
    assert.equal(groupSettings({ group: 'g', fromBeginning: true }, props())?.reset, 'earliest');
    assert.equal(groupSettings({ group: 'g' }, props([['auto.offset.reset', 'none']]))?.reset, 'none');
    assert.throws(
      () => groupSettings({ group: 'g', fromBeginning: true }, props([['auto.offset.reset', 'latest']])),
      /Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'/,
    );
    assert.throws(
      () => groupSettings({ group: 'g' }, props([['auto.offset.reset', 'smallest']])),
      /earliest, latest or none/,
    );
  });

  it('group and partition exclude each other, as in Kafka', () => {
    assert.throws(
      () => groupSettings({ group: 'g', partition: 0 }, props()),
      /^.*Options group and partition cannot be specified together\.$/,
    );
  });

  it('group.protocol=consumer, enable.auto.commit=false and the commit interval pass through', () => {
    const s = groupSettings(
      { group: 'g' },
      props([
        ['group.protocol', 'CONSUMER'],
        ['enable.auto.commit', 'false'],
        ['auto.commit.interval.ms', '100'],
      ]),
    );
    assert.equal(s?.protocol, 'consumer');
    assert.equal(s?.autoCommit, false);
    assert.equal(s?.autoCommitIntervalMs, 100);
    assert.throws(
      () => groupSettings({ group: 'g' }, props([['group.protocol', 'share']])),
      /classic or consumer/,
    );
  });
});
