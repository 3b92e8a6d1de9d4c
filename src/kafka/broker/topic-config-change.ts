import { ErrorCode } from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { topicConfigProblem } from './topic-configs.ts';

/** The outcome of changing one resource's configs (AlterConfigs, IncrementalAlterConfigs). */
export interface ConfigChangeResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

/**
 * Validates and (unless `validateOnly`) applies new config overrides for one resource: `next` gets
 * the current overrides and returns the new ones, or an error message. Topic overrides are persisted
 * and applied to the live logs; broker configs are static (read from server.properties).
 */
export async function changeConfigs(
  state: BrokerState,
  resourceType: number,
  resourceName: string,
  validateOnly: boolean,
  next: (current: Readonly<Record<string, string>>) => Record<string, string> | string,
): Promise<ConfigChangeResult> {
  if (resourceType === RESOURCE_BROKER) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Broker configs cannot be updated dynamically yet; set them in server.properties',
    };
  }
  if (resourceType !== RESOURCE_TOPIC) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unsupported resource type ${resourceType}`,
    };
  }
  const t = state.partitions.topic(resourceName);
  if (!t) {
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: `Topic ${resourceName} does not exist`,
    };
  }
  const configs = next(t.configs);
  if (typeof configs === 'string') return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: configs };
  for (const [name, value] of Object.entries(configs)) {
    const problem = topicConfigProblem(name, value);
    if (problem !== null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: problem };
  }
  if (!validateOnly) await state.partitions.setTopicConfigs(t.name, configs);
  return { errorCode: 0, errorMessage: null };
}
