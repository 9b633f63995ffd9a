export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export { type EventMap, type Listener, TypedEmitter } from './emitter.ts';
export { ItdaError, type ItdaErrorOptions, isItdaError } from './errors.ts';
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogSink,
  silentLogger,
} from './logger.ts';
export { RATE_LIMITED_LOG_DEFAULTS, RateLimitedLog, type RateLimitedLogOptions } from './rate-limited-log.ts';
