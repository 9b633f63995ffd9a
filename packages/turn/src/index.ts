/**
 * @itda/turn — a STUN/TURN server (RFC 8489, RFC 8656, RFC 5780): a sans-IO protocol
 * core (`protocol/`) and Node adapters for UDP, TCP and TLS (`node/`). See docs/turn.md.
 */

export { type ListAddresses, type LocalAddress, systemAddresses } from './node/local-addresses.ts';
export type {
  BoundAddress,
  ListenOptions,
  PlainListenOptions,
  Rfc5780Options,
  TlsListenOptions,
  TurnServerOptions,
} from './node/options.ts';
export { TurnServer } from './node/turn-server.ts';
export {
  DEFAULT_ALLOCATIONS_PER_SOURCE,
  DEFAULT_ALLOCATIONS_PER_USER,
  DEFAULT_ALLOCATIONS_TOTAL,
  resolveCoreOptions,
  type TurnCoreOptions,
  type TurnQuotas,
  type UnauthenticatedRateLimit,
} from './protocol/config.ts';
export { SWEEP_INTERVAL_MS, TurnCore, type TurnCoreInit } from './protocol/core.ts';
export { TurnError, TurnErrorCode } from './protocol/errors.ts';
export type {
  ClientRef,
  ClientTransport,
  Endpoint,
  RelayAddresses,
  RelayHandle,
  RelayRequest,
  StreamClient,
  TurnIo,
  UdpClient,
} from './protocol/io.ts';
export {
  AuthFailure,
  DropReason,
  formatTurnMetrics,
  TurnMetrics,
  type TurnMetricsSnapshot,
} from './protocol/metrics.ts';
export {
  type Cidr,
  cidrContains,
  normalizeIp,
  PeerPolicy,
  type PeerPolicyOptions,
  parseCidr,
} from './protocol/peer-policy.ts';
export { SourceRateLimiter } from './protocol/rate-limit.ts';
export {
  parseRestUsername,
  type RestCredential,
  type RestCredentialInput,
  type RestUsername,
  restCredential,
  restPassword,
} from './protocol/rest.ts';
