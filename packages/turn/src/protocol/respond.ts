/**
 * Building and sending responses: SOFTWARE (RFC 8489 §14.14), MESSAGE-INTEGRITY or
 * MESSAGE-INTEGRITY-SHA256 with the request's key when it was authenticated (RFC 8489
 * §9.2.4), FINGERPRINT when the request had one, and the per-source rate limit on
 * answers to unauthenticated requests.
 */
import {
  AttrType,
  type DecodedStunMessage,
  type EncodeOptions,
  encodeMessage,
  reasonPhrase,
  type StunAttribute,
  StunClass,
} from '@itda/stun';
import type { Credential } from './auth.ts';
import type { ClientRef, Endpoint, RelayHandle } from './io.ts';
import { DropReason } from './metrics.ts';
import type { CoreState } from './state.ts';

/** Where and how to send. */
export interface SendOptions {
  /** Sign with this credential's key. */
  credential?: Credential | undefined;
  /** Send from this endpoint (RFC 5780). */
  from?: Endpoint;
  /** Send to this port (RFC 5780 RESPONSE-PORT). */
  port?: number;
}

/** The request's header fields a response needs (the request's buffer may be gone by then). */
export interface RequestInfo {
  readonly method: number;
  readonly transactionId: Uint8Array;
  readonly hadFingerprint: boolean;
}

export function requestInfo(msg: DecodedStunMessage): RequestInfo {
  return { method: msg.method, transactionId: msg.transactionId, hadFingerprint: msg.fingerprintAt >= 0 };
}

function encode<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  req: RequestInfo,
  cls: StunClass,
  attributes: StunAttribute[],
  credential: Credential | undefined,
): Uint8Array {
  if (st.o.software !== '') attributes.push({ type: AttrType.Software, value: st.o.software } as StunAttribute);
  const options: EncodeOptions = { fingerprint: req.hadFingerprint };
  if (credential !== undefined) {
    if (credential.sha256) options.integritySha256Key = credential.key;
    else options.integrityKey = credential.key;
  }
  return encodeMessage({ class: cls, method: req.method, transactionId: req.transactionId, attributes }, options);
}

/** Sends a success response; returns its bytes (an Allocate keeps them for retransmissions). */
export function sendSuccess<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  req: RequestInfo,
  attributes: StunAttribute[],
  options: SendOptions = {},
): Uint8Array {
  const bytes = encode(st, req, StunClass.SuccessResponse, attributes, options.credential);
  st.io.sendToClient(client, bytes, undefined, undefined, options.from, options.port);
  st.metrics.request(req.method, 'success');
  return bytes;
}

/** Extra content of an error response. */
export interface ErrorOptions extends SendOptions {
  /** Add REALM, NONCE and PASSWORD-ALGORITHMS (401, 438). */
  challenge?: boolean;
  /** UNKNOWN-ATTRIBUTES (420). */
  unknown?: readonly number[];
}

/**
 * Sends an error response. Without a credential the answer is unauthenticated and
 * counts against the source's rate limit: beyond it nothing is sent (counted as
 * dropped `rate_limited`).
 */
export function sendError<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  req: RequestInfo,
  code: number,
  options: ErrorOptions = {},
): void {
  const now = st.clock.now();
  if (options.credential === undefined && !st.limiter.take(client.address, now)) {
    st.metrics.drop(DropReason.RateLimited);
    return;
  }
  const attributes: StunAttribute[] = [
    { type: AttrType.ErrorCode, value: { code, reason: reasonPhrase(code) } } as StunAttribute,
  ];
  if (options.unknown !== undefined && options.unknown.length > 0) {
    attributes.push({ type: AttrType.UnknownAttributes, value: [...options.unknown] } as StunAttribute);
  }
  if (options.challenge === true) attributes.push(...st.auth.challenge(client.address, st.wallNow()));
  const bytes = encode(st, req, StunClass.ErrorResponse, attributes, options.credential);
  st.io.sendToClient(client, bytes, undefined, undefined, options.from, options.port);
  st.metrics.request(req.method, code);
}
