/**
 * Cross-checks the generated codecs against two real client implementations:
 * kafkajs (non-flexible versions) and @platformatic/kafka (flexible versions).
 *
 * Requests: bytes encoded by the client are decoded by our codec, which must consume them exactly
 * and re-encode them to the same bytes (so every field sits where the client put it).
 * Responses: bytes encoded by our codec are parsed by the client, and fields are compared.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import {
  apiVersionsV4,
  fetchV17,
  findCoordinatorV6,
  heartbeatV4,
  initProducerIdV5,
  joinGroupV9,
  listOffsetsV9,
  metadataV12,
  offsetCommitV9,
  offsetFetchV9,
  produceV11,
  Reader,
  syncGroupV5,
} from '@platformatic/kafka';
import { ByteReader, ByteWriter } from '../../../base/index.ts';
import { apiCodecByKey } from './apis.generated.ts';
import { defaultFetchResponse } from './fetch.generated.ts';
import { defaultMetadataResponse } from './metadata.generated.ts';
import { defaultProduceResponse } from './produce.generated.ts';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS internals of kafkajs
type Loose = any;

function encodeWithOurs(
  apiKey: number,
  version: number,
  side: 'request' | 'response',
  message: unknown,
): Buffer {
  const codec = apiCodecByKey(apiKey)!;
  const w = new ByteWriter();
  if (side === 'request') codec.encodeRequest(w, version, message);
  else codec.encodeResponse(w, version, message);
  return w.toBuffer();
}

/** Decodes a client-encoded request body, checks it is consumed exactly and re-encodes identically. */
function checkRequest(apiKey: number, version: number, bytes: Buffer): Record<string, unknown> {
  const codec = apiCodecByKey(apiKey)!;
  const r = new ByteReader(bytes);
  const decoded = codec.decodeRequest(r, version) as Record<string, unknown>;
  r.expectEnd(`${codec.name} v${version}`);
  assert.equal(
    encodeWithOurs(apiKey, version, 'request', decoded).toString('hex'),
    bytes.toString('hex'),
    `${codec.name} v${version} re-encodes to the client's bytes`,
  );
  return decoded;
}

// ---- kafkajs ------------------------------------------------------------------------------------

function kafkajs(api: string, version: number, args: object): { request: Loose; response: Loose } {
  const definitions = require(`kafkajs/src/protocol/requests/${api}/index.js`);
  return definitions.protocol({ version })(args);
}

async function kafkajsRequestBytes(api: string, version: number, args: object): Promise<[number, Buffer]> {
  const { request } = kafkajs(api, version, args);
  const encoder = await request.encode();
  return [request.apiKey, encoder.buffer];
}

const kafkajsRequests: [api: string, versions: number[], args: object][] = [
  ['apiVersions', [0, 1, 2], {}],
  ['metadata', [0, 1, 2, 3, 4, 5, 6], { topics: ['orders', 'payments'], allowAutoTopicCreation: false }],
  [
    'fetch',
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      rackId: 'rack-a',
      topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '12345', maxBytes: 65536 }] }],
    },
  ],
  ['findCoordinator', [0, 1, 2], { groupId: 'group-1', coordinatorType: 0 }],
  [
    'joinGroup',
    [0, 1, 2, 3, 4, 5],
    {
      groupId: 'group-1',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      groupProtocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }],
    },
  ],
  [
    'syncGroup',
    [0, 1, 2, 3],
    {
      groupId: 'group-1',
      generationId: 3,
      memberId: 'member-1',
      groupInstanceId: null,
      groupAssignment: [{ memberId: 'member-1', memberAssignment: Buffer.from([9, 9]) }],
    },
  ],
  [
    'heartbeat',
    [0, 1, 2, 3],
    { groupId: 'group-1', groupGenerationId: 3, memberId: 'member-1', groupInstanceId: 'i' },
  ],
  [
    'offsetCommit',
    [0, 1, 2, 3, 4, 5],
    {
      groupId: 'group-1',
      groupGenerationId: 3,
      memberId: 'member-1',
      retentionTime: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42', metadata: 'm' }] }],
    },
  ],
  [
    'offsetFetch',
    [1, 2, 3, 4],
    { groupId: 'group-1', topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }] },
  ],
  [
    'listOffsets',
    [0, 1, 2, 3],
    {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -1 }] }],
    },
  ],
  ['initProducerId', [0, 1], { transactionalId: 'tx-1', transactionTimeout: 60000 }],
  [
    'createTopics',
    [0, 1, 2, 3],
    {
      timeout: 5000,
      validateOnly: false,
      topics: [
        {
          topic: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    },
  ],
  ['saslHandshake', [0, 1], { mechanism: 'PLAIN' }],
  // kafkajs passes SASL tokens already length-prefixed.
  ['saslAuthenticate', [0, 1], { authBytes: Buffer.from('0000000a00757365720070617373', 'hex') }],
  ['deleteTopics', [0, 1], { topics: ['orders'], timeout: 5000 }],
  ['describeGroups', [0, 1, 2], { groupIds: ['group-1'] }],
  ['leaveGroup', [0, 1, 2, 3], { groupId: 'group-1', memberId: 'member-1', groupInstanceId: null }],
];

describe('kafkajs requests decode with our codecs', () => {
  for (const [api, versions, args] of kafkajsRequests) {
    test(`${api} v${versions.join(',')}`, async () => {
      for (const version of versions) {
        const [apiKey, bytes] = await kafkajsRequestBytes(api, version, args);
        checkRequest(apiKey, version, bytes);
      }
    });
  }

  test('produce v3-v7 carries kafkajs record batches byte for byte', async () => {
    for (const version of [3, 4, 5, 6, 7]) {
      const args = {
        acks: -1,
        timeout: 30000,
        transactionalId: null,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              { partition: 1, messages: [{ key: 'k', value: 'v', timestamp: 1700000000000, headers: {} }] },
            ],
          },
        ],
      };
      const [apiKey, bytes] = await kafkajsRequestBytes('produce', version, args);
      const decoded = checkRequest(apiKey, version, bytes) as Loose;
      assert.equal(decoded.acks, -1);
      const partition = decoded.topicData[0].partitionData[0];
      assert.equal(decoded.topicData[0].name, 'orders');
      assert.equal(partition.index, 1);
      assert.equal(partition.records.readInt8(16), 2, 'record batch magic v2');
    }
  });

  test('metadata request fields land in the right properties', async () => {
    const [, bytes] = await kafkajsRequestBytes('metadata', 4, {
      topics: ['a'],
      allowAutoTopicCreation: false,
    });
    const decoded = checkRequest(3, 4, bytes);
    assert.deepEqual(decoded.topics, [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'a' }]);
    assert.equal(decoded.allowAutoTopicCreation, false);
  });
});

describe('kafkajs parses responses from our codecs', () => {
  const response = (api: string, version: number, args: object = {}): Loose =>
    kafkajs(api, version, args).response;

  test('ApiVersions v0-v2', async () => {
    for (const version of [0, 1, 2]) {
      const bytes = encodeWithOurs(18, version, 'response', {
        errorCode: 0,
        apiKeys: [
          { apiKey: 0, minVersion: 0, maxVersion: 11 },
          { apiKey: 18, minVersion: 0, maxVersion: 4 },
        ],
        throttleTimeMs: 7,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      });
      const decoded = await response('apiVersions', version).decode(bytes);
      assert.equal(decoded.errorCode, 0);
      assert.deepEqual(decoded.apiVersions, [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ]);
      // kafkajs reports the v2 throttle (sent before throttling, KIP-219) as clientSideThrottleTime.
      if (version === 1) assert.equal(decoded.throttleTime, 7);
      if (version === 2) assert.equal(decoded.clientSideThrottleTime, 7);
    }
  });

  test('Metadata v0-v6', async () => {
    const body = {
      ...defaultMetadataResponse(),
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: 'r1' }],
      clusterId: 'cluster-x',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 5,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        },
      ],
    };
    for (const version of [0, 1, 2, 3, 4, 5, 6]) {
      const decoded = await response('metadata', version).decode(
        encodeWithOurs(3, version, 'response', body),
      );
      assert.equal(decoded.brokers[0].host, 'broker-1');
      assert.equal(decoded.brokers[0].port, 9092);
      if (version >= 1) assert.equal(decoded.controllerId, 1);
      if (version >= 2) assert.equal(decoded.clusterId, 'cluster-x');
      const topic = decoded.topicMetadata[0];
      assert.equal(topic.topic, 'orders');
      assert.equal(topic.partitionMetadata[0].leader, 1);
      assert.deepEqual(topic.partitionMetadata[0].replicas, [1]);
    }
  });

  test('Produce v3-v7', async () => {
    const body = {
      ...defaultProduceResponse(),
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            {
              index: 1,
              errorCode: 0,
              baseOffset: 100n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
            },
          ],
        },
      ],
      throttleTimeMs: 0,
    };
    for (const version of [3, 4, 5, 6, 7]) {
      const decoded = await response('produce', version, { acks: -1 }).decode(
        encodeWithOurs(0, version, 'response', body),
      );
      const p = decoded.topics[0].partitions[0];
      assert.equal(decoded.topics[0].topicName, 'orders');
      assert.equal(p.partition, 1);
      assert.equal(String(p.baseOffset ?? p.offset), '100');
    }
  });

  test('Fetch v4-v11 with empty record sets', async () => {
    for (const version of [4, 5, 6, 7, 8, 9, 10, 11]) {
      const body = {
        ...defaultFetchResponse(),
        sessionId: 0,
        responses: [
          {
            topic: 'orders',
            topicId: '00000000-0000-0000-0000-000000000000',
            partitions: [
              {
                partitionIndex: 2,
                errorCode: 0,
                highWatermark: 77n,
                lastStableOffset: 77n,
                logStartOffset: 0n,
                divergingEpoch: { epoch: -1, endOffset: -1n },
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
                snapshotId: { endOffset: -1n, epoch: -1 },
                abortedTransactions: [],
                preferredReadReplica: -1,
                records: Buffer.alloc(0),
              },
            ],
          },
        ],
      };
      const decoded = await response('fetch', version).decode(encodeWithOurs(1, version, 'response', body));
      const p = decoded.responses[0].partitions[0];
      assert.equal(decoded.responses[0].topicName, 'orders');
      assert.equal(p.partition, 2);
      assert.equal(String(p.highWatermark), '77');
    }
  });

  test('FindCoordinator, JoinGroup, SyncGroup, Heartbeat, InitProducerId', async () => {
    for (const version of [0, 1, 2]) {
      const decoded = await response('findCoordinator', version).decode(
        encodeWithOurs(10, version, 'response', {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          nodeId: 3,
          host: 'broker-3',
          port: 9093,
          coordinators: [],
        }),
      );
      assert.deepEqual(decoded.coordinator, { nodeId: 3, host: 'broker-3', port: 9093 });
    }
    for (const version of [0, 1, 2, 3, 4, 5]) {
      const decoded = await response('joinGroup', version).decode(
        encodeWithOurs(11, version, 'response', {
          throttleTimeMs: 0,
          errorCode: 0,
          generationId: 4,
          protocolType: null,
          protocolName: 'range',
          leader: 'member-1',
          skipAssignment: false,
          memberId: 'member-1',
          members: [{ memberId: 'member-1', groupInstanceId: null, metadata: Buffer.from([1, 2]) }],
        }),
      );
      assert.equal(decoded.generationId, 4);
      assert.equal(decoded.groupProtocol, 'range');
      assert.equal(decoded.leaderId, 'member-1');
      assert.deepEqual([...decoded.members[0].memberMetadata], [1, 2]);
    }
    for (const version of [0, 1, 2, 3]) {
      const decoded = await response('syncGroup', version).decode(
        encodeWithOurs(14, version, 'response', {
          throttleTimeMs: 0,
          errorCode: 0,
          protocolType: null,
          protocolName: null,
          assignment: Buffer.from([5, 6, 7]),
        }),
      );
      assert.deepEqual([...decoded.memberAssignment], [5, 6, 7]);
    }
    for (const version of [0, 1, 2, 3]) {
      const decoded = await response('heartbeat', version).decode(
        encodeWithOurs(12, version, 'response', { throttleTimeMs: 0, errorCode: 27 }),
      );
      assert.equal(decoded.errorCode, 27);
    }
    for (const version of [0, 1]) {
      const decoded = await response('initProducerId', version).decode(
        encodeWithOurs(22, version, 'response', {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: 9000n,
          producerEpoch: 2,
        }),
      );
      assert.equal(String(decoded.producerId), '9000');
      assert.equal(decoded.producerEpoch, 2);
    }
  });
});

// ---- @platformatic/kafka (flexible versions) -----------------------------------------------------

function platformaticBytes(writer: Loose): Buffer {
  return Buffer.from(writer.buffer);
}

function platformaticParse(api: Loose, apiKey: number, version: number, bytes: Buffer): Loose {
  return api.parseResponse(1, apiKey, version, Reader.from(bytes));
}

describe('@platformatic/kafka requests decode with our codecs', () => {
  test('ApiVersions v4, Metadata v12, FindCoordinator v6', () => {
    const av = checkRequest(18, 4, platformaticBytes(apiVersionsV4.createRequest('sluice-test', '1.2.3')));
    assert.deepEqual(av, { clientSoftwareName: 'sluice-test', clientSoftwareVersion: '1.2.3' });
    const md = checkRequest(3, 12, platformaticBytes(metadataV12.createRequest(['orders'], true, true)));
    assert.deepEqual(md.topics, [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }]);
    assert.equal(md.allowAutoTopicCreation, true);
    assert.equal(md.includeTopicAuthorizedOperations, true);
    const fc6 = checkRequest(10, 6, platformaticBytes(findCoordinatorV6.createRequest(0, ['group-1'])));
    assert.deepEqual(fc6.coordinatorKeys, ['group-1']);
  });

  test('Produce v11 with a record batch', () => {
    const writer = (produceV11.createRequest as Loose)(
      -1,
      30000,
      [{ topic: 'orders', partition: 2, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1n }],
      {},
    );
    const decoded = checkRequest(0, 11, platformaticBytes(writer)) as Loose;
    assert.equal(decoded.transactionalId, null);
    assert.equal(decoded.acks, -1);
    assert.equal(decoded.topicData[0].name, 'orders');
    assert.equal(decoded.topicData[0].partitionData[0].index, 2);
    assert.equal(decoded.topicData[0].partitionData[0].records.readInt8(16), 2, 'magic v2');
  });

  test('Fetch v17 by topic id', () => {
    const topicId = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    const writer = (fetchV17.createRequest as Loose)(
      500,
      1,
      1048576,
      0,
      0,
      -1,
      [
        {
          topicId,
          partitions: [
            {
              partition: 3,
              currentLeaderEpoch: 7,
              fetchOffset: 99n,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1024,
            },
          ],
        },
      ],
      [],
      '',
    );
    const decoded = checkRequest(1, 17, platformaticBytes(writer)) as Loose;
    assert.equal(decoded.maxWaitMs, 500);
    assert.equal(decoded.topics[0].topicId, topicId);
    assert.deepEqual(decoded.topics[0].partitions[0], {
      partition: 3,
      currentLeaderEpoch: 7,
      fetchOffset: 99n,
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: 1024,
      replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
    });
  });

  test('group and offset requests', () => {
    checkRequest(
      11,
      9,
      platformaticBytes(
        (joinGroupV9.createRequest as Loose)(
          'g',
          30000,
          60000,
          '',
          null,
          'consumer',
          [{ name: 'range', metadata: Buffer.from([1]) }],
          null,
        ),
      ),
    );
    checkRequest(
      14,
      5,
      platformaticBytes(
        (syncGroupV5.createRequest as Loose)('g', 1, 'm', null, 'consumer', 'range', [
          { memberId: 'm', assignment: Buffer.from([2]) },
        ]),
      ),
    );
    checkRequest(12, 4, platformaticBytes((heartbeatV4.createRequest as Loose)('g', 1, 'm', null)));
    checkRequest(
      8,
      9,
      platformaticBytes(
        (offsetCommitV9.createRequest as Loose)('g', 1, 'm', null, [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ]),
      ),
    );
    checkRequest(
      9,
      9,
      platformaticBytes(
        (offsetFetchV9.createRequest as Loose)(
          [
            {
              groupId: 'g',
              memberId: null,
              memberEpoch: -1,
              topics: [{ name: 'orders', partitionIndexes: [0] }],
            },
          ],
          true,
        ),
      ),
    );
    checkRequest(
      2,
      9,
      platformaticBytes(
        (listOffsetsV9.createRequest as Loose)(-1, 0, [
          { name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
        ]),
      ),
    );
    checkRequest(22, 5, platformaticBytes((initProducerIdV5.createRequest as Loose)(null, 60000, -1n, -1)));
  });
});

describe('@platformatic/kafka parses responses from our codecs', () => {
  test('ApiVersions v4', () => {
    const bytes = encodeWithOurs(18, 4, 'response', {
      errorCode: 0,
      apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }],
      throttleTimeMs: 0,
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
      finalizedFeaturesEpoch: 5n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    });
    const parsed = platformaticParse(apiVersionsV4, 18, 4, bytes);
    assert.deepEqual(
      parsed.apiKeys.map((k: Loose) => [k.apiKey, k.minVersion, k.maxVersion]),
      [[3, 0, 12]],
    );
  });

  test('Metadata v12', () => {
    const topicId = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    const bytes = encodeWithOurs(3, 12, 'response', {
      ...defaultMetadataResponse(),
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: 8,
        },
      ],
    });
    const parsed = platformaticParse(metadataV12, 3, 12, bytes);
    assert.deepEqual(parsed.brokers, [{ nodeId: 1, host: 'broker-1', port: 9092, rack: null }]);
    assert.equal(parsed.clusterId, 'c');
    assert.equal(parsed.topics[0].name, 'orders');
    assert.equal(parsed.topics[0].topicId, topicId);
    assert.deepEqual(parsed.topics[0].partitions[0].isrNodes, [1]);
    assert.equal(parsed.topics[0].topicAuthorizedOperations, 8);
  });

  test('Produce v11 and Fetch v17', () => {
    const produced = platformaticParse(
      produceV11,
      0,
      11,
      encodeWithOurs(0, 11, 'response', {
        ...defaultProduceResponse(),
        responses: [
          {
            name: 'orders',
            partitionResponses: [
              {
                index: 2,
                errorCode: 0,
                baseOffset: 41n,
                logAppendTimeMs: -1n,
                logStartOffset: 0n,
                recordErrors: [],
                errorMessage: null,
                // Left at its default: @platformatic/kafka cannot skip a non-empty tag section.
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
              },
            ],
          },
        ],
        throttleTimeMs: 3,
      }),
    );
    assert.equal(produced.throttleTimeMs, 3);
    assert.equal(produced.responses[0].partitionResponses[0].baseOffset, 41n);
    const topicId = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    const fetched = platformaticParse(
      fetchV17,
      1,
      17,
      encodeWithOurs(1, 17, 'response', {
        ...defaultFetchResponse(),
        sessionId: 12,
        responses: [
          {
            topic: '',
            topicId,
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                highWatermark: 10n,
                lastStableOffset: 10n,
                logStartOffset: 0n,
                divergingEpoch: { epoch: -1, endOffset: -1n },
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
                snapshotId: { endOffset: -1n, epoch: -1 },
                abortedTransactions: [{ producerId: 5n, firstOffset: 3n }],
                preferredReadReplica: -1,
                records: null,
              },
            ],
          },
        ],
      }),
    );
    assert.equal(fetched.sessionId, 12);
    assert.equal(fetched.responses[0].topicId, topicId);
    assert.equal(fetched.responses[0].partitions[0].highWatermark, 10n);
    assert.deepEqual(fetched.responses[0].partitions[0].abortedTransactions, [
      { producerId: 5n, firstOffset: 3n },
    ]);
  });
});
