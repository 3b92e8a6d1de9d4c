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
