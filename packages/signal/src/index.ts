export {
  DEFAULT_SIGNAL_CONFIG,
  type IceServersContext,
  type IceServersProvider,
  resolveSignalConfig,
  type SessionEndedContext,
  type SessionEndedHook,
  type SignalConfig,
} from './config.ts';
export type { ConnectionInfo, SignalOutput } from './context.ts';
export { SignalCore, type SignalCoreOptions, type SignalStats } from './core.ts';
export { SignalError, SignalErrorCode } from './errors.ts';
export type { ExternalParticipantOptions } from './external.ts';
export { SignalMetrics } from './metrics.ts';
export type { ParticipantState } from './participant.ts';
export type { CreateRoomOptions } from './registry.ts';
export type { RoomInfo, RoomOrigin } from './room.ts';
export { sdpSendsMedia } from './sdp.ts';
export type { SfuBackend, SfuParticipant } from './sfu-backend.ts';
export {
  createTokenVerifier,
  type RoomTokenClaims,
  type SignTokenOptions,
  signRoomToken,
  type TokenVerifier,
  type VerifierOptions,
} from './token.ts';
