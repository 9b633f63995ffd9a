/**
 * itda's TURN client (RFC 8656 client side, RFC 8489 Binding), used by tests and the
 * benchmark: `TurnClient` over a `ClientTransport`, Node transports for UDP, TCP and
 * TLS, and a one-shot `stunBinding` helper. See docs/turn.md ("Client").
 */
export { type AuthVerdict, LongTermAuth, NONCE_COOKIE } from './auth.ts';
export { stunBinding } from './binding.ts';
export { TurnClientError, TurnClientErrorCode } from './errors.ts';
export { StreamFramer } from './framer.ts';
export {
  type BindingAnswer,
  type BindingProbe,
  discoverNatBehaviour,
  type FilteringBehaviour,
  type MappingBehaviour,
  type NatReport,
  type TransportAddress,
} from './nat-behaviour.ts';
export { checkNat, UdpBindingProbe, type UdpProbeOptions } from './nat-probe-udp.ts';
export { natReport, natSummary } from './nat-words.ts';
export { type ConnectOptions, connectTransport } from './node-transport.ts';
export { CHANNEL_REFRESH_MS, PERMISSION_REFRESH_MS } from './refresher.ts';
export {
  type AllocateOptions,
  allocateAttributes,
  channelBindAttributes,
  createPermissionAttributes,
  encodeSendIndication,
} from './requests.ts';
export { type RetransmitOptions, Transactions } from './transactions.ts';
export type { ClientTransport, ClientTransportKind, TransportHandlers } from './transport.ts';
export {
  type Allocation,
  type BindingResult,
  TurnClient,
  type TurnClientEvents,
  type TurnClientOptions,
  type TurnClientStats,
} from './turn-client.ts';
