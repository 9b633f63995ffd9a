/**
 * Node-only helpers of @itda/common (`@itda/common/node`): they use node:crypto, so they
 * stay out of the browser entry point.
 */

export {
  ConnectionLimiter,
  type ConnectionLimits,
  type ConnectionRefusal,
  SharedConnectionBudget,
  sourceKey,
} from './connection-limiter.ts';
export { openFileLimit, parseOpenFileLimit } from './fd-limit.ts';
export { type SelfSigned, type SelfSignedOptions, selfSignedCertificate, spkiSha256 } from './self-signed.ts';
export {
  type GuardClose,
  type GuardHooks,
  LOG_INTERVAL_MS,
  resolveStreamGuardLimits,
  STREAM_GUARD_DEFAULTS,
  StreamGuard,
  type StreamGuardLimits,
  type StreamGuardOptions,
  type StreamGuardStats,
} from './stream-guard.ts';
