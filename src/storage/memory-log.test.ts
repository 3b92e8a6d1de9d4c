import { runLogContract } from './log-contract.ts';
import { MemoryLog } from './memory-log.ts';

runLogContract('MemoryLog', async (options = {}) => ({
  log: new MemoryLog({
    ...(options.config ? { config: options.config } : {}),
    ...(options.now ? { now: options.now } : {}),
  }),
  cleanup: async () => {},
}));
