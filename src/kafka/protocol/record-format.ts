import { CompressionCodec, snappyFramingOf } from '../../base/index.ts';
import {
  BatchAttribute,
  decodeRecordBatch,
  encodeRecordBatch,
  RECORD_BATCH_HEADER_BYTES,
  type RecordInput,
} from './record-batch.ts';

/*
 * Record-level access to v2 batches for the storage layer, which keeps batches as opaque bytes and
 * ranks below this unit. The shape matches storage's `RecordFormat` port (structurally: protocol code
 * imports only base); the broker hands `kafkaRecordFormat` to its LogManager.
 */

/** One record as the log cleaner and timestamp lookups see it. */
export interface KafkaRecordEntry {
  offsetDelta: number;
  /** Absolute timestamp (the batch's maxTimestamp for LogAppendTime batches). */
  timestamp: number;
  key: Buffer | null;
  valueIsNull: boolean;
}

export interface KafkaRecordFormat {
  scanRecords(batch: Buffer): Iterable<KafkaRecordEntry>;
  rewriteBatch(batch: Buffer, keep: (recordIndex: number) => boolean): Buffer;
}

/** storage's RecordFormat over decodeRecordBatch/encodeRecordBatch. Raises DecodeError/EncodeError. */
export const kafkaRecordFormat: KafkaRecordFormat = {
  scanRecords(batch: Buffer): KafkaRecordEntry[] {
    // Storage checks CRCs where it needs them (appends, unverified segments), so skip it here.
    const decoded = decodeRecordBatch(batch, { verifyCrc: false });
    const logAppendTime = (decoded.attributes & BatchAttribute.logAppendTime) !== 0;
    const maxTimestamp = Number(decoded.maxTimestamp);
    const baseTimestamp = Number(decoded.baseTimestamp);
    return decoded.records.map((r) => ({
      offsetDelta: r.offsetDelta,
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + r.timestampDelta,
      key: r.key,
      valueIsNull: r.value === null,
    }));
  },

  /**
   * The batch with only the kept records, its header otherwise unchanged (as Kafka's cleaner writes
   * it): baseOffset, lastOffsetDelta, partitionLeaderEpoch, producer id/epoch/base sequence, both
   * timestamps and the attributes; compressed records are recompressed with the same codec (and
   * snappy framing). An empty batch has no records section, so its codec bits are cleared.
   */
  rewriteBatch(batch: Buffer, keep: (recordIndex: number) => boolean): Buffer {
    const d = decodeRecordBatch(batch, { verifyCrc: false });
    const records: RecordInput[] = [];
    d.records.forEach((r, i) => {
      if (!keep(i)) return;
      records.push({
        attributes: r.attributes,
        timestampDelta: r.timestampDelta,
        offsetDelta: r.offsetDelta,
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
    });
    const codec = d.attributes & BatchAttribute.compressionMask;
    const snappyFraming =
      codec === CompressionCodec.snappy ? snappyFramingOf(batch.subarray(RECORD_BATCH_HEADER_BYTES)) : 'raw';
    return encodeRecordBatch({
      baseOffset: d.baseOffset,
      partitionLeaderEpoch: d.partitionLeaderEpoch,
      attributes: records.length === 0 ? d.attributes & ~BatchAttribute.compressionMask : d.attributes,
      producerId: d.producerId,
      producerEpoch: d.producerEpoch,
      baseSequence: d.baseSequence,
      baseTimestamp: d.baseTimestamp,
      maxTimestamp: d.maxTimestamp,
      lastOffsetDelta: d.lastOffsetDelta,
      records,
      compressOptions: { snappyFraming },
    });
  },
};
