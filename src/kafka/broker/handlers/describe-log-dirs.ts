import { statfs } from 'node:fs/promises';
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsTopic,
  defaultDescribeLogDirsResponse,
  describeLogDirsApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * DescribeLogDirs (key 35), v0-4: per log dir, the partitions it holds with their sizes (offset
 * lag 0: this node leads them all); v4 total and usable bytes of the file system. v2 flexible; v3
 * top-level error code.
 */
export const DESCRIBE_LOG_DIRS_VERSIONS = { minVersion: 0, maxVersion: 4 } as const;

export function createDescribeLogDirsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    describeLogDirsApi,
    DESCRIBE_LOG_DIRS_VERSIONS,
    async (request: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> => {
      const wanted =
        request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
      const results = [];
      for (const dir of state.config.logDirs) {
        const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = [];
        for (const t of state.partitions.topics()) {
          const only = wanted?.get(t.name);
          if (wanted !== null && only === undefined) continue;
          const partitions = state.partitions
            .partitionsOf(t.name)
            .filter(
              (p) =>
                (only === undefined || only.has(p.index)) &&
                state.partitions.logs.dirOf(t.name, p.index) === dir,
            )
            .map((p) => ({
              partitionIndex: p.index,
              partitionSize: BigInt(p.log.sizeBytes),
              offsetLag: 0n,
              isFutureKey: false,
            }));
          if (partitions.length > 0) topics.push({ name: t.name, partitions });
        }
        let totalBytes = -1n;
        let usableBytes = -1n;
        try {
          const s = await statfs(dir, { bigint: true });
          totalBytes = s.blocks * s.bsize;
          usableBytes = s.bavail * s.bsize;
        } catch {
          // Unknown sizes stay -1.
        }
        results.push({ errorCode: 0, logDir: dir, topics, totalBytes, usableBytes });
      }
      return { ...defaultDescribeLogDirsResponse(), results };
    },
  );
}
