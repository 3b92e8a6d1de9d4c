import {
  defaultInitProducerIdResponse,
  ErrorCode,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  initProducerIdApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * InitProducerId (key 22), v0-5.
 *
 * Idempotent producers (null transactional id) get a fresh producer id with epoch 0, also when they
 * re-initialize with their old id and epoch (v3+, KIP-360), as Kafka does without a transactional
 * id. Ids come from blocks reserved in the topic registry, so none is reused after a restart.
 * Transactions are not implemented yet: a transactional id gets COORDINATOR_NOT_AVAILABLE.
 * v2 flexible; v3 producerId/producerEpoch in the request; v4-5 nothing new on this path.
 */
export const INIT_PRODUCER_ID_VERSIONS = { minVersion: 0, maxVersion: 5 } as const;

export function createInitProducerIdHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    initProducerIdApi,
    INIT_PRODUCER_ID_VERSIONS,
    async (request: InitProducerIdRequest): Promise<InitProducerIdResponse> => {
      if (request.transactionalId !== null) {
        return { ...defaultInitProducerIdResponse(), errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      }
      const producerId = await state.partitions.allocateProducerId();
      return {
        ...defaultInitProducerIdResponse(),
        errorCode: 0,
        producerId: BigInt(producerId),
        producerEpoch: 0,
      };
    },
  );
}
