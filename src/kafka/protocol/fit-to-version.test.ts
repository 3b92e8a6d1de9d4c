import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitResponseToVersion } from './fit-to-version.ts';
import { encodeResponseFrame } from './frame.ts';
import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  type ListOffsetsResponse,
} from './messages/list-offsets.generated.ts';
import { defaultMetadataResponse, type MetadataResponse } from './messages/metadata.generated.ts';

describe('fitResponseToVersion', () => {
  const full: MetadataResponse = {
    ...defaultMetadataResponse(),
    throttleTimeMs: 5,
    clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 't',
        topicId: '0123abcd-0000-4000-8000-000000000001',
        isInternal: false,
        topicAuthorizedOperations: -2147483648,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 1,
            leaderEpoch: 7,
            replicaNodes: [1],
            isrNodes: [1],
            offlineReplicas: [],
          },
        ],
      },
    ],
  };

  it('resets fields the version lacks, recursively, and keeps the others', () => {
    const v0 = fitResponseToVersion(3, 0, full);
    assert.equal(v0.throttleTimeMs, 0);
    assert.equal(v0.clusterId, null);
    assert.equal(v0.topics[0]!.topicId, '00000000-0000-0000-0000-000000000000');
    assert.equal(v0.topics[0]!.partitions[0]!.leaderEpoch, -1);
    assert.equal(v0.topics[0]!.partitions[0]!.leaderId, 1);
    const v12 = fitResponseToVersion(3, 12, full);
    assert.deepEqual(v12, full);
    assert.notEqual(full.throttleTimeMs, 0, 'the input is not modified');
  });

  it('makes a response the encoder would refuse encodable', () => {
    const listOffsets: ListOffsetsResponse = {
      ...defaultListOffsetsResponse(),
      topics: [
        {
          name: 't',
          partitions: [
            {
              ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
              oldStyleOffsets: [7n],
              offset: 7n,
              timestamp: 1n,
            },
          ],
        },
      ],
    };
    assert.throws(() => encodeResponseFrame(2, 1, 1, listOffsets), /oldStyleOffsets/);
    assert.ok(encodeResponseFrame(2, 1, 1, fitResponseToVersion(2, 1, listOffsets)).length > 0);
  });
});
