import { ErrorCode } from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { dynamicBrokerConfigProblem } from './dynamic-broker-configs.ts';
import { topicConfigProblem } from './topic-configs.ts';

/** The outcome of changing one resource's configs (AlterConfigs, IncrementalAlterConfigs). */
export interface ConfigChangeResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

/**
 * Validates and (unless `validateOnly`) applies new configs for one resource: `next` gets the
 * current values and returns the new ones, or an error message. Topic overrides are persisted and
 * applied to the live logs. Broker resources ("" = the cluster-wide default, or this node's id) hold
 * dynamic broker configs: only the keys Kafka can change at run time (others → INVALID_REQUEST
 * "Cannot update these configs dynamically", unknown keys and bad values → INVALID_CONFIG);
 * persisted and applied at once to every topic without an override.
 */
export async function changeConfigs(
  state: BrokerState,
  resourceType: number,
  resourceName: string,
  validateOnly: boolean,
  next: (current: Readonly<Record<string, string>>) => Record<string, string> | string,
): Promise<ConfigChangeResult> {
  if (resourceType === RESOURCE_BROKER) {
    if (resourceName !== '' && resourceName !== String(state.nodeId)) {
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Unexpected broker id, expected ${state.nodeId} or empty string, but received ${resourceName}`,
      };
    }
    const scope = resourceName === '' ? 'default' : 'broker';
    const layers = state.dynamicBrokerConfigs();
    const configs = next(scope === 'default' ? layers.clusterDefault : layers.perBroker);
    if (typeof configs === 'string') return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: configs };
    const problem = dynamicBrokerConfigProblem(configs);
    if (problem !== null) {
      return { errorCode: ErrorCode[problem.kind], errorMessage: problem.message };
    }
    if (!validateOnly) await state.setDynamicBrokerConfigs(scope, configs);
    return { errorCode: 0, errorMessage: null };
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
