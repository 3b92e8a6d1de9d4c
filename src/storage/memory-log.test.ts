import { kafkaRecordFormat } from '../kafka/protocol/index.ts';
import { runLogContract } from './log-contract.test.ts';
import { MemoryLog } from './memory-log.ts';

runLogContract('MemoryLog', async (options = {}) => ({
  log: new MemoryLog({
    ...(options.noRecordFormat ? {} : { recordFormat: kafkaRecordFormat }),
    ...(options.dedupeBufferBytes ? { dedupeBufferBytes: options.dedupeBufferBytes } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.now ? { now: options.now } : {}),
  }),
  cleanup: async () => {},
}));
