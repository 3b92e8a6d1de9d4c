export {
  createLogger,
  formatTextLine,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  MemoryLogger,
  silentLogger,
} from './logger.ts';
export {
  createMetrics,
  type LogSizeSample,
  type Metrics,
  type MetricsOptions,
  noopMetrics,
} from './metrics.ts';
export { MetricsServer, type MetricsServerOptions } from './metrics-server.ts';
