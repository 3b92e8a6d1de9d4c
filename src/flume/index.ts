export { Agent, type AgentOptions } from './agent/agent.ts';
export { AgentSupervisor, type AgentSupervisorOptions, loadAgentConfig } from './agent/agent-supervisor.ts';
export { HttpMonitor, type HttpMonitorOptions } from './agent/http-monitor.ts';
export { type Channel, ChannelException, ChannelFullException, type Transaction } from './api/channel.ts';
export { ChannelProcessor } from './api/channel-processor.ts';
export type { ChannelSelector } from './api/channel-selector.ts';
export { CounterGroup, type CounterGroupType } from './api/counter-group.ts';
export { type FlumeEvent, flumeEvent } from './api/event.ts';
export type { Interceptor } from './api/interceptor.ts';
export type { Sink } from './api/sink.ts';
export type { SinkProcessor } from './api/sink-processor.ts';
export type { EventDrivenSource, PollableSource, ProcessStatus, Source } from './api/source.ts';
export { AVRO_CLIENT_BATCH_SIZE, type AvroClientInput, runAvroClient } from './avro-rpc/avro-client-run.ts';
export { MemoryChannel } from './channels/memory-channel.ts';
export { COMPONENT_TYPES, type ComponentKind } from './config/component-types.ts';
export {
  type AgentConfig,
  type FlumeConfigOptions,
  parseFlumeConfig,
  parseFlumeConfigText,
} from './config/flume-config.ts';
export { dumpEvent } from './sinks/event-dump.ts';
export { NetcatSource } from './sources/netcat-source.ts';
