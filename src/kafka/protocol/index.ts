// Public surface of the Kafka protocol unit: codecs for every API (generated from Kafka's
// message specs), frames and headers, record batches, compression and the error table.

export {
  COMPRESSION_CODEC_NAMES,
  CompressionCodec,
  type CompressionCodecName,
  type CompressOptions,
  compress,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  type DecompressOptions,
  decompress,
  isCompressionCodec,
  snappyFramingOf,
  xxh32,
} from '../../base/index.ts';
export type { ApiCodec } from './api.ts';
export * from './error-codes.ts';
export { fitResponseToVersion, fitToVersion } from './fit-to-version.ts';
export * from './frame.ts';
export * from './legacy-message-set.ts';
export * from './messages/add-offsets-to-txn.generated.ts';
export * from './messages/add-partitions-to-txn.generated.ts';
export * from './messages/add-raft-voter.generated.ts';
export * from './messages/alter-client-quotas.generated.ts';
export * from './messages/alter-configs.generated.ts';
export * from './messages/alter-partition-reassignments.generated.ts';
export * from './messages/alter-replica-log-dirs.generated.ts';
export * from './messages/alter-user-scram-credentials.generated.ts';
export * from './messages/api-versions.generated.ts';
export * from './messages/apis.generated.ts';
export * from './messages/consumer-group-describe.generated.ts';
export * from './messages/consumer-group-heartbeat.generated.ts';
export * from './messages/create-acls.generated.ts';
export * from './messages/create-delegation-token.generated.ts';
export * from './messages/create-partitions.generated.ts';
export * from './messages/create-topics.generated.ts';
export * from './messages/delete-acls.generated.ts';
export * from './messages/delete-groups.generated.ts';
export * from './messages/delete-records.generated.ts';
export * from './messages/delete-share-group-state.generated.ts';
export * from './messages/delete-topics.generated.ts';
export * from './messages/describe-acls.generated.ts';
export * from './messages/describe-client-quotas.generated.ts';
export * from './messages/describe-cluster.generated.ts';
export * from './messages/describe-configs.generated.ts';
export * from './messages/describe-delegation-token.generated.ts';
export * from './messages/describe-groups.generated.ts';
export * from './messages/describe-log-dirs.generated.ts';
export * from './messages/describe-producers.generated.ts';
export * from './messages/describe-quorum.generated.ts';
export * from './messages/describe-topic-partitions.generated.ts';
export * from './messages/describe-transactions.generated.ts';
export * from './messages/describe-user-scram-credentials.generated.ts';
export * from './messages/elect-leaders.generated.ts';
export * from './messages/end-txn.generated.ts';
export * from './messages/expire-delegation-token.generated.ts';
export * from './messages/fetch.generated.ts';
export * from './messages/find-coordinator.generated.ts';
export * from './messages/get-telemetry-subscriptions.generated.ts';
export * from './messages/heartbeat.generated.ts';
export * from './messages/incremental-alter-configs.generated.ts';
export * from './messages/init-producer-id.generated.ts';
export * from './messages/initialize-share-group-state.generated.ts';
export * from './messages/join-group.generated.ts';
export * from './messages/leave-group.generated.ts';
export * from './messages/list-client-metrics-resources.generated.ts';
export * from './messages/list-groups.generated.ts';
export * from './messages/list-offsets.generated.ts';
export * from './messages/list-partition-reassignments.generated.ts';
export * from './messages/list-transactions.generated.ts';
export * from './messages/metadata.generated.ts';
export * from './messages/offset-commit.generated.ts';
export * from './messages/offset-delete.generated.ts';
export * from './messages/offset-fetch.generated.ts';
export * from './messages/offset-for-leader-epoch.generated.ts';
export * from './messages/produce.generated.ts';
export * from './messages/push-telemetry.generated.ts';
export * from './messages/read-share-group-state.generated.ts';
export * from './messages/read-share-group-state-summary.generated.ts';
export * from './messages/remove-raft-voter.generated.ts';
export * from './messages/renew-delegation-token.generated.ts';
export * from './messages/sasl-authenticate.generated.ts';
export * from './messages/sasl-handshake.generated.ts';
export type * from './messages/schema.ts';
export * from './messages/schemas.generated.ts';
export * from './messages/share-acknowledge.generated.ts';
export * from './messages/share-fetch.generated.ts';
export * from './messages/share-group-describe.generated.ts';
export * from './messages/share-group-heartbeat.generated.ts';
export * from './messages/sync-group.generated.ts';
export * from './messages/txn-offset-commit.generated.ts';
export * from './messages/unregister-broker.generated.ts';
export * from './messages/update-features.generated.ts';
export * from './messages/write-share-group-state.generated.ts';
export * from './messages/write-txn-markers.generated.ts';
export * from './record-batch.ts';
export { type KafkaRecordEntry, type KafkaRecordFormat, kafkaRecordFormat } from './record-format.ts';
