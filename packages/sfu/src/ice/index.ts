/**
 * ICE for the SFU: an ICE-lite agent per transport (RFC 8445 §2.5, RFC 7675 consent),
 * credentials (RFC 8839 §5.4), the shared-port registry, and RFC 4571 framing for
 * ICE-TCP (RFC 6544). Sans-IO. See docs/sfu/ice.md.
 */
export {
  type IceAgentState,
  type IceAgentStats,
  IceLiteAgent,
  type IceLiteAgentEvents,
  type IceLiteAgentOptions,
} from './agent.ts';
export {
  assertIceCredentials,
  CREDENTIAL_MAX,
  createIceCredentials,
  type IceCredentials,
  isIceChars,
  PWD_LENGTH,
  PWD_MIN,
  UFRAG_LENGTH,
  UFRAG_MIN,
} from './credentials.ts';
export { IceDemux, type IceDemuxOptions, type IceDemuxStats, usernameLocalPart } from './demux.ts';
export { IceError, IceErrorCode } from './errors.ts';
export { frameTcp, TCP_FRAME_MAX, TcpFrameDecoder, type TcpFrameDecoderOptions } from './tcp-framing.ts';
export { type IceTuple, iceTuple, tupleKey } from './tuple.ts';
