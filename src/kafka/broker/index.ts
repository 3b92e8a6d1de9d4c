export {
  type ApiHandler,
  type ApiVersionRange,
  defineApiHandler,
  type RequestContext,
} from './api-handler.ts';
export { Broker, type BrokerOptions, generateClusterId } from './broker.ts';
export {
  type BrokerConfig,
  brokerConfigDef,
  type ClientListener,
  type ListenerAddress,
  NODE_ID_DEFAULT,
  type ResolvedBrokerConfig,
  resolveBrokerConfig,
} from './broker-config.ts';
export { RequestRouter } from './request-router.ts';
export { topicNameProblem } from './topic-name.ts';
