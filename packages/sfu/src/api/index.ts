/**
 * The SFU's one asynchronous API (docs/sfu.md, "The API"): `SfuClient` for signaling and
 * WHIP/WHEP, `SfuHost` in front of the `SfuService`, the messages between them and the
 * links that carry them.
 */
export { type PlayRequest, SfuCallError, SfuClient, type SfuClientOptions, type SfuTransportChange } from './client.ts';
export { MAX_PLAYERS, SfuHost, type SfuHostOptions } from './host.ts';
export { localSfuLink, messagePortLink } from './link.ts';
export type {
  IceRestartResult,
  PlayResult,
  SfuCallErrorCode,
  SfuCallResults,
  SfuEvent,
  SfuLink,
  SfuRequest,
  SfuTransportRole,
} from './messages.ts';
