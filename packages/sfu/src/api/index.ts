/**
 * The SFU's one asynchronous API as its users see it (docs/sfu.md, "The API"): `SfuClient`
 * for signaling and WHIP/WHEP, the messages and the links that carry them. Nothing here
 * loads the media plane; the other end, `SfuHost`, is exported by `@itda/sfu`.
 */
export { type PlayRequest, SfuCallError, SfuClient, type SfuClientOptions, type SfuTransportChange } from './client.ts';
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
