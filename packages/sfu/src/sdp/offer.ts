/**
 * The SFU's offers to a subscriber (subscribe peer connection; JSEP RFC 8829 §5.2) and
 * the check of the subscriber's answer. One m-line per slot, in slot order; a slot
 * whose track ended stays as a port-0 m-line until it is recycled (session/subscribe-negotiator.ts).
 */

import { remoteTransport } from './answer.ts';
import { SdpError, SdpErrorCode } from './errors.ts';
import { type ForwardedTrack, inactiveMedia, rtxCodec, sendingMedia } from './forwarded.ts';
import { TOKEN } from './grammar.ts';

import {
  checkLocal,
  emptyMedia,
  type LocalTransportParams,
  localSession,
  type RemoteTransportParams,
  sessionIdFor,
} from './local.ts';
import { parseSdp } from './parse.ts';
import type { Codec, MediaSection } from './types.ts';
import { effectiveDirection, effectiveTransport } from './types.ts';
import { writeSdp } from './write.ts';

/** RFC 5576 §6.1 CNAME: visible ASCII without spaces, at most 255 bytes (the SDES item limit, RFC 3550 §6.5). */
const CNAME = /^[\x21-\x7e]{1,255}$/;

const PROTOCOL = 'UDP/TLS/RTP/SAVPF';

/** One m-line of a subscribe offer: a forwarded track in a slot (`rtx` with the publisher's payload type). */
export interface SubscribeSlot extends ForwardedTrack {
  /** The slot's current mid (fresh when recycled, RFC 8843 §7.3.3). */
  mid: string;
  /** False: written as a port-0 (rejected) m-line with the minimum content, unless `idle`. */
  active: boolean;
  /**
   * With `active: false`: written as a bundled `a=inactive` m-line (port 9, ICE/DTLS
   * attributes, codec, no SSRCs) instead of port 0. An offer whose m-lines are all at
   * port 0 makes the browser close the connection's transport; one idle m-line keeps it
   * (RFC 8843 §7.3.3: a port-0 m-line leaves the BUNDLE group).
   */
  idle?: boolean;
}

export interface SubscribeOfferOptions {
  local: LocalTransportParams;
  /** o= session version; must grow with every offer on the same connection (RFC 3264 §8). */
  sessionVersion: number;
  /**
   * o= session id, constant for the connection (RFC 3264 §5, digits only). Default: derived
   * from the local ICE ufrag — pass one explicitly if the connection may do an ICE restart.
   */
  sessionId?: string;
  slots: SubscribeSlot[];
}

function bad(what: string): SdpError {
  return new SdpError(SdpErrorCode.BadInput, `subscribe slot: ${what}`);
}

function checkSlots(slots: SubscribeSlot[]): void {
  const mids = new Set<string>();
  for (const s of slots) {
    if (!TOKEN.test(s.mid) || s.mid.length > 256 || mids.has(s.mid)) throw bad(`mid ${JSON.stringify(s.mid)}`);
    mids.add(s.mid);
    if (s.kind !== 'audio' && s.kind !== 'video') throw bad(`kind of ${s.mid}`);
    const pt = s.codec.payloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127 || !TOKEN.test(s.codec.name)) throw bad(`codec of ${s.mid}`);
    if (!s.active) continue;
    const ssrcOk = (n: number | undefined): boolean =>
      n !== undefined && Number.isInteger(n) && n > 0 && n <= 0xffffffff;
    if (!ssrcOk(s.ssrc)) throw bad(`ssrc of ${s.mid}`);
    if (s.rtx !== undefined) {
      const rtxPt = s.rtx.payloadType;
      if (!Number.isInteger(rtxPt) || rtxPt < 0 || rtxPt > 127 || rtxPt === pt)
        throw bad(`rtx payload type of ${s.mid}`);
      if (!ssrcOk(s.rtxSsrc) || s.rtxSsrc === s.ssrc) throw bad(`rtx ssrc of ${s.mid}`);
    }
    // RFC 5576 §6.1: a CNAME is any byte-string (Chromium's contain '+' and '/'); msid ids are tokens (RFC 8830 §2).
    if (!CNAME.test(s.cname) || !TOKEN.test(s.streamId) || !TOKEN.test(s.trackId)) throw bad(`cname/msid of ${s.mid}`);
    for (const e of s.extensions) {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 255 || e.id === 15 || /\s/.test(e.uri) || e.uri === '') {
        throw bad(`extension ${e.id} of ${s.mid}`);
      }
    }
  }
}

function slotCodec(c: Codec): Codec {
  const out: Codec = {
    payloadType: c.payloadType,
    name: c.name,
    clockRate: c.clockRate,
    parameters: { ...c.parameters },
    feedback: c.feedback.map((f) => ({ ...f })),
  };
  if (c.channels !== undefined) out.channels = c.channels;
  return out;
}

/** The m-line of one slot. */
function slotMedia(slot: SubscribeSlot, local: LocalTransportParams): MediaSection {
  if (!slot.active && slot.idle === true) {
    return inactiveMedia(slot.kind, PROTOCOL, slot.mid, slotCodec(slot.codec), local, 'actpass', true);
  }
  if (!slot.active) {
    // Rejected: port 0, one format with its rtpmap, the mid (RFC 3264 §6, RFC 8829 §5.2.2).
    const m = emptyMedia(slot.kind, 0, PROTOCOL, [String(slot.codec.payloadType)]);
    m.mid = slot.mid;
    m.direction = 'inactive';
    m.codecs = [{ ...slotCodec(slot.codec), feedback: [], parameters: {} }];
    return m;
  }
  const codecs = [slotCodec(slot.codec)];
  if (slot.rtx !== undefined) codecs.push(rtxCodec(slot.rtx.payloadType, slot.codec.payloadType, slot.codec.clockRate));
  return sendingMedia({
    track: slot,
    mid: slot.mid,
    protocol: PROTOCOL,
    codecs,
    extensions: slot.extensions,
    withRtx: slot.rtx !== undefined,
    local,
    setup: 'actpass',
    rtcpRsize: true,
  });
}

/**
 * Builds the SFU's offer to a subscriber: `a=ice-lite`, `a=setup:actpass` (the browser
 * answers `active`, so the SFU stays the DTLS server), one `sendonly` m-line per active
 * slot with the producer's codec (+ RTX), `a=msid`, `a=ssrc` cname/msid lines and
 * `a=ssrc-group:FID` for RTX (RFC 5576, RFC 4588), our candidates and
 * `a=end-of-candidates`; inactive slots as port-0 m-lines; BUNDLE over the active mids
 * only (a port-0 m-line is not in the group, RFC 8843 §7.3.3 / RFC 8829 §5.2.2).
 * Throws `sdp_bad_input` for invalid slots (duplicate mids, SSRC 0, RTX without its SSRC).
 */
export function buildSubscribeOffer(options: SubscribeOfferOptions): string {
  const { local, sessionVersion, slots } = options;
  checkLocal(local);
  checkSlots(slots);
  if (!Number.isSafeInteger(sessionVersion) || sessionVersion < 0) throw bad('sessionVersion');
  const sessionId = options.sessionId ?? sessionIdFor(local);
  if (!/^[0-9]{1,19}$/.test(sessionId)) throw bad('sessionId');
  const desc = localSession(sessionId, String(sessionVersion));
  desc.media = slots.map((s) => slotMedia(s, local));
  const active = slots.filter((s) => s.active || s.idle === true).map((s) => s.mid);
  if (active.length > 0) desc.groups.push({ semantics: 'BUNDLE', mids: active });
  // Two-byte header extensions need ids above 14 announced (RFC 8285 §6).
  desc.extmapAllowMixed = slots.some((s) => s.active && s.extensions.some((e) => e.id > 14));
  return writeSdp(desc);
}

export interface SubscribeAnswerResult {
  remote: RemoteTransportParams;
  /** Mids of active slots the subscriber rejected (port 0 or `inactive`). */
  rejectedMids: string[];
  /**
   * Mids of active slots the subscriber accepted. When empty, no m-line uses the
   * transport and `remote` comes from whatever m-line carries ICE attributes (Chromium
   * gives rejected m-lines their own throwaway ufrag): do not treat it as an ICE restart.
   */
  acceptedMids: string[];
}

/**
 * Checks a subscriber's answer against the slots that were offered (same order as
 * `buildSubscribeOffer`): the same m-lines in the same order with the same kinds and
 * mids (`sdp_mid_mismatch`, RFC 3264 §6); `a=setup:active` (`sdp_bad_setup`, RFC 5763
 * §5); for accepted m-lines ICE credentials, fingerprint, rtcp-mux, BUNDLE, and the
 * offered payload type (`sdp_unsupported_codec`). Returns the remote transport (from the
 * first accepted m-line) and the mids of active slots the subscriber rejected.
 * With no accepted m-line at all, the ICE/DTLS attributes are taken from the first
 * m-line (or session) that has them; `sdp_missing_ice` when none has.
 */
export function parseSubscribeAnswer(answerSdp: string, offeredSlots: SubscribeSlot[]): SubscribeAnswerResult {
  const answer = parseSdp(answerSdp);
  if (answer.media.length !== offeredSlots.length) {
    throw new SdpError(
      SdpErrorCode.MidMismatch,
      `answer has ${answer.media.length} m-lines, the offer had ${offeredSlots.length}`,
    );
  }
  const rejectedMids: string[] = [];
  const accepted: MediaSection[] = [];
  for (let i = 0; i < offeredSlots.length; i++) {
    const slot = offeredSlots[i];
    const m = answer.media[i];
    if (slot === undefined || m === undefined) continue;
    if (m.kind !== slot.kind || m.mid !== slot.mid) {
      throw new SdpError(
        SdpErrorCode.MidMismatch,
        `m-line ${i} is ${m.kind} mid ${m.mid}, offered ${slot.kind} mid ${slot.mid}`,
      );
    }
    if (!slot.active) {
      // An idle m-line the browser kept (port ≠ 0) still carries the transport's parameters.
      if (slot.idle === true && m.port !== 0) accepted.push(m);
      continue;
    }
    const direction = effectiveDirection(answer, m);
    if (m.port === 0 || direction === 'inactive') {
      rejectedMids.push(slot.mid);
      continue;
    }
    if (direction !== 'recvonly') {
      throw new SdpError(SdpErrorCode.MidMismatch, `m-line ${slot.mid} answered ${direction} to a sendonly offer`);
    }
    if (!m.codecs.some((c) => c.payloadType === slot.codec.payloadType)) {
      throw new SdpError(
        SdpErrorCode.UnsupportedCodec,
        `m-line ${slot.mid} does not accept payload type ${slot.codec.payloadType}`,
      );
    }
    accepted.push(m);
  }
  let remote: RemoteTransportParams;
  const tag = accepted[0];
  if (tag !== undefined) {
    const group = answer.groups.find((g) => g.semantics === 'BUNDLE');
    if (group === undefined || accepted.some((m) => !group.mids.includes(m.mid ?? ''))) {
      throw new SdpError(SdpErrorCode.NoBundle, 'the answer must BUNDLE every accepted m-line (RFC 8843)');
    }
    remote = remoteTransport(answer, accepted, tag);
  } else {
    const any = answer.media.find((m) => effectiveTransport(answer, m).iceUfrag !== undefined) ?? answer.media[0];
    const t = any === undefined ? answer : effectiveTransport(answer, any);
    if (t.iceUfrag === undefined || t.icePwd === undefined) {
      throw new SdpError(SdpErrorCode.MissingIce, 'the answer has no ICE credentials (RFC 8839 §5.4)');
    }
    remote = {
      ice: { ufrag: t.iceUfrag, pwd: t.icePwd },
      fingerprints: t.fingerprints.map((f) => ({ algorithm: f.algorithm.toLowerCase(), value: f.value })),
      setup: t.setup === 'passive' || t.setup === 'actpass' ? t.setup : 'active',
    };
  }
  const setup = tag === undefined ? remote.setup : effectiveTransport(answer, tag).setup;
  if (setup !== 'active') {
    throw new SdpError(
      SdpErrorCode.BadSetup,
      `answer has a=setup:${setup ?? '(none)'}; it must be active (RFC 5763 §5)`,
    );
  }
  return { remote, rejectedMids, acceptedMids: accepted.map((m) => m.mid ?? '') };
}
