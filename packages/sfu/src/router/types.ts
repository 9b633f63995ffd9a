/** Shared shapes of the router layer. */

export type MediaKind = 'audio' | 'video';

/** What a track is, as the publisher declared it (the protocol's `SfuTrackSource`). */
export type { SfuTrackSource as TrackSource } from '@itda/protocol';

/** One negotiated RTP codec of a stream (RFC 8866 rtpmap + fmtp). */
export interface RtpCodec {
  payloadType: number;
  /** Encoding name as in rtpmap, e.g. `opus`, `VP8`, `H264`. */
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters. */
  parameters: Record<string, string>;
  /** rtcp-fb values, e.g. `{ type: 'nack', parameter: 'pli' }`. */
  feedback: { type: string; parameter?: string }[];
}

/** A negotiated RTP header extension (RFC 8285). */
export interface HeaderExtension {
  id: number;
  uri: string;
}

/** Header extension URIs the router reads or writes (the one table: rtp/extensions.ts). */
export { ExtensionUri } from '../rtp/extensions.ts';

import type { IceTuple } from '../ice/index.ts';
import type { SrtpProfile } from '../srtp/index.ts';

/**
 * Where a transport's datagrams go: the node layer implements it for the shared UDP
 * socket and for ICE-TCP connections. `tupleKey` names the ICE-selected 5-tuple.
 */
export interface DatagramSink {
  send(datagram: Uint8Array, tuple: IceTuple): void;
}

/** A remote transport address as ICE saw it: the ICE module's tuple. */
export type { IceTuple as Tuple } from '../ice/index.ts';

/**
 * Where a transport's outgoing RTP goes when it is not encrypted and sent on the
 * transport's own thread: a media worker (`MediaWorkerPool`, docs/sfu/workers.md) that
 * holds the transport's outbound SRTP context and its tuple, and sends from the shared port.
 */
export interface RtpEgress {
  /**
   * Queues one plaintext RTP packet for encryption and sending. The bytes may be reused
   * once it returns. `false`: the egress is gone (its worker died); send locally instead.
   */
  sendRtp(packet: Uint8Array): boolean;
  /** The ICE-selected UDP tuple changed: send there from now on. */
  setTuple(tuple: IceTuple): void;
  /** Stops sending for this transport and frees the worker's state. Idempotent. */
  close(): void;
}

/** Hands out egresses; `undefined` when none can take the transport (send locally). */
export interface RtpEgressProvider {
  open(params: { tuple: IceTuple; profile: SrtpProfile; key: Uint8Array; salt: Uint8Array }): RtpEgress | undefined;
}
