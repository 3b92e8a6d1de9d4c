import type { ByteReader, ByteWriter } from '../../base/index.ts';

/**
 * The codec of one Kafka API (request and response, every version in `validVersions`).
 * Generated from the Kafka message specs by tools/kafka-codegen; see messages/*.generated.ts.
 *
 * Typed objects carry the union of the fields of all versions, in camelCase. Decoding a version
 * that lacks a field yields the spec's default; encoding a version that lacks a field ignores it
 * (or raises EncodeError when the spec says a non-default value cannot be sent in that version).
 * int64 fields are bigint; `records` fields are opaque `Buffer | null`.
 */
export interface ApiCodec<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  /** The spec name without suffix, e.g. `Produce`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or null when no version is flexible. */
  readonly flexibleMin: number | null;
  /** True when the top version is marked `latestVersionUnstable` in the spec. */
  readonly latestVersionUnstable: boolean;
  decodeRequest(r: ByteReader, version: number): Req;
  encodeRequest(w: ByteWriter, version: number, message: Req): void;
  decodeResponse(r: ByteReader, version: number): Res;
  encodeResponse(w: ByteWriter, version: number, message: Res): void;
}
