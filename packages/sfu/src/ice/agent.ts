/**
 * The ICE-lite agent of one WebRtcTransport (RFC 8445 §2.5): it never sends checks,
 * it answers the peer's (§7.3), learns the peer's addresses from them, follows the
 * peer's nomination (USE-CANDIDATE, §8.2) and watches consent freshness on the
 * selected pair (RFC 7675). Sans-IO: STUN messages in, answers out, time from a `Clock`
 * or from `tick(now)`; it owns no timer, so one timer wheel can drive thousands.
 *
 * Cost per check: two byte compares for USERNAME, one CRC-32 (FINGERPRINT), one
 * HMAC-SHA1 to verify and one to answer, one Map lookup, one response buffer.
 */
import { type Clock, TypedEmitter } from '@itda/common';
import {
  AttrType,
  type DecodedStunMessage,
  StunClass,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyIntegrity,
} from '@itda/stun';
import { errorResponse, successResponse } from './answers.ts';
import { assertIceCredentials, assertUfrag, type IceCredentials } from './credentials.ts';
import { IceError, IceErrorCode } from './errors.ts';
import type { IceTuple } from './tuple.ts';

/** Options of IceLiteAgent, validated in the constructor. */
export interface IceLiteAgentOptions {
  /** Our credentials, as announced in our SDP (`a=ice-ufrag`, `a=ice-pwd`). */
  local: IceCredentials;
  /** Time source for check timestamps; `tick()` without an argument reads it too. */
  clock: Clock;
  /**
   * Consent freshness timeout, ms: the selected pair expires when no valid check arrived
   * on it for this long (RFC 7675 §5.1: 30 s). Default 30,000; 1–3,600,000.
   */
  consentTimeoutMs?: number;
  /**
   * Most remote tuples remembered at once (valid checks from different addresses: UDP,
   * TCP, NAT rebinding). The least recently checked non-selected one is forgotten to
   * make room. Default 8; 2–1,024.
   */
  maxCandidatePairs?: number;
}

/** Events of IceLiteAgent. */
export type IceLiteAgentEvents = {
  /** The selected tuple changed: first selection, nomination of another tuple (UDP→TCP, NAT rebinding). */
  selected: [tuple: IceTuple];
  /** A tuple is selected after none was (first time, or again after `disconnected`). */
  connected: [];
  /** Consent expired on the selected tuple (RFC 7675 §5.1): stop sending to it. */
  disconnected: [];
};

/** `new` until a valid check, `connected` while a tuple is selected, `disconnected` after consent expired. */
export type IceAgentState = 'new' | 'connected' | 'disconnected' | 'closed';

/**
 * Counters of every outcome, for metrics. Plain numbers, never reset by the agent.
 * Each request ends in exactly one of: success, badRequest, badUsername, badIntegrity,
 * badFingerprint, unknownAttribute, roleConflict, notRequest (or `closed`).
 */
export interface IceAgentStats {
  /** Messages handed to `handleBindingRequest`. */
  requests: number;
  /** Valid checks, answered 200. */
  success: number;
  /** Valid checks carrying USE-CANDIDATE. */
  nominations: number;
  /** Changes of the selected tuple (each `selected` event). */
  selections: number;
  /** Valid checks with the credentials from before `restart` (the restart is not finished). */
  previousCredentials: number;
  /** No USERNAME or no MESSAGE-INTEGRITY: answered 400 (RFC 8489 §9.1.3). */
  badRequest: number;
  /** USERNAME is not ours: answered 401 (RFC 8489 §9.1.3). */
  badUsername: number;
  /** MESSAGE-INTEGRITY wrong: answered 401 (RFC 8489 §9.1.3). */
  badIntegrity: number;
  /** FINGERPRINT missing or wrong: dropped. */
  badFingerprint: number;
  /** Unknown comprehension-required attributes: answered 420 (RFC 8489 §6.3.1). */
  unknownAttribute: number;
  /** ICE-CONTROLLED from the peer: answered 487 (RFC 8445 §7.3.1.1). */
  roleConflict: number;
  /** Not a Binding request (indications, responses, other methods): dropped. */
  notRequest: number;
  /** Remote tuples forgotten to stay within `maxCandidatePairs`, or stale (no check for the consent timeout). */
  pairsForgotten: number;
  /** Selected tuples whose consent expired. */
  consentExpired: number;
}

/** One set of local credentials and the remote ufrag they pair with. */
interface Generation {
  readonly ufrag: string;
  readonly pwd: string;
  readonly key: Uint8Array;
  remoteUfrag: string | undefined;
}

interface Pair {
  readonly tuple: IceTuple;
  lastCheckAt: number;
}

const PRUNE_INTERVAL_MS = 1000;

function generation(local: IceCredentials): Generation {
  assertIceCredentials(local);
  return { ufrag: local.ufrag, pwd: local.pwd, key: shortTermKey(local.pwd), remoteUfrag: undefined };
}

/**
 * True when USERNAME is `gen.ufrag:gen.remoteUfrag` (any remote part while the remote
 * ufrag is unknown). Compares bytes to the ASCII credentials: no string is built.
 */
function usernameMatches(raw: Uint8Array, gen: Generation): boolean {
  const local = gen.ufrag;
  const n = local.length;
  if (raw.length <= n || raw[n] !== 0x3a) return false;
  for (let i = 0; i < n; i++) if (raw[i] !== local.charCodeAt(i)) return false;
  const remote = gen.remoteUfrag;
  if (remote === undefined) return true;
  if (raw.length !== n + 1 + remote.length) return false;
  for (let i = 0; i < remote.length; i++) if (raw[n + 1 + i] !== remote.charCodeAt(i)) return false;
  return true;
}

function intOption(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new IceError(IceErrorCode.BadOption, `${name} must be an integer in ${min}–${max}`, { details: { value } });
  }
  return v;
}

export class IceLiteAgent extends TypedEmitter<IceLiteAgentEvents> {
  /** Outcome counters (see IceAgentStats). */
  readonly stats: IceAgentStats = {
    requests: 0,
    success: 0,
    nominations: 0,
    selections: 0,
    previousCredentials: 0,
    badRequest: 0,
    badUsername: 0,
    badIntegrity: 0,
    badFingerprint: 0,
    unknownAttribute: 0,
    roleConflict: 0,
    notRequest: 0,
    pairsForgotten: 0,
    consentExpired: 0,
  };
  readonly #clock: Clock;
  readonly #consentTimeoutMs: number;
  readonly #maxPairs: number;
  #current: Generation;
  /** The credentials before `restart`, valid until the first valid check with the new ones. */
  #previous: Generation | undefined;
  readonly #pairs = new Map<string, Pair>();
  #selected: Pair | undefined;
  #state: IceAgentState = 'new';
  #lastCheckAt: number | undefined;
  #nextPruneAt = 0;

  /** @throws IceError ice_bad_credentials, ice_bad_option */
  constructor(options: IceLiteAgentOptions) {
    super();
    this.#clock = options.clock;
    this.#consentTimeoutMs = intOption(options.consentTimeoutMs, 30_000, 1, 3_600_000, 'consentTimeoutMs');
    this.#maxPairs = intOption(options.maxCandidatePairs, 8, 2, 1024, 'maxCandidatePairs');
    this.#current = generation(options.local);
  }

  /** Current local credentials (the newest after `restart`). */
  get localCredentials(): IceCredentials {
    return { ufrag: this.#current.ufrag, pwd: this.#current.pwd };
  }

  get state(): IceAgentState {
    return this.#state;
  }

  /** The tuple media goes to: the last nominated one (or the first valid one before any nomination). */
  get selectedTuple(): IceTuple | undefined {
    return this.#selected?.tuple;
  }

  /** Clock time of the last valid check on any tuple, or undefined before the first. */
  get lastCheckAt(): number | undefined {
    return this.#lastCheckAt;
  }

  /** Remote tuples that passed a check and are remembered. */
  get pairCount(): number {
    return this.#pairs.size;
  }

  /** True when a valid check came from the tuple with this key and it is still remembered. */
  hasTuple(key: string): boolean {
    return this.#pairs.has(key);
  }

  /**
   * The peer's ufrag from its SDP. Until it is set, USERNAME may name any remote part.
   * After `restart` it applies to the new credentials.
   * @throws IceError ice_bad_credentials when not 4–256 ice-chars.
   */
  setRemoteUfrag(ufrag: string): void {
    assertUfrag(ufrag, 'remote ufrag');
    this.#current.remoteUfrag = ufrag;
  }

  /**
   * ICE restart (RFC 8445 §9) with new local credentials. The old ones stay valid, and
   * keep the selected tuple alive, until the first valid check with the new ones, so
   * media continues over the old pair until the restarted session has one (as JSEP
   * expects of an ICE restart).
   * Set the peer's new ufrag with `setRemoteUfrag` afterwards.
   * @throws IceError ice_bad_credentials
   */
  restart(newLocal: IceCredentials): void {
    const next = generation(newLocal);
    this.#previous = this.#current;
    this.#current = next;
  }

  /**
   * Answers one STUN message from `tuple` (the caller decoded it with `decodeMessage`).
   * Returns the bytes to send back to `tuple`, or null to drop silently. Never throws.
   *
   * In order (RFC 8489 §6.3, §9.1.3; RFC 8445 §7.3):
   * 1. not a Binding request → dropped;
   * 2. FINGERPRINT missing or wrong → dropped (ICE checks carry it, RFC 8445 §7;
   *    RFC 8489 §7.3: a usage with FINGERPRINT discards messages without a correct one);
   * 3. no USERNAME or no MESSAGE-INTEGRITY → 400;
   * 4. USERNAME not `localUfrag:remoteUfrag` (current or pre-restart credentials) → 401;
   * 5. MESSAGE-INTEGRITY does not verify with the local password → 401 (no MI in it);
   * 6. unknown comprehension-required attributes → 420 with UNKNOWN-ATTRIBUTES;
   * 7. ICE-CONTROLLED → 487: a lite agent is always controlled (RFC 8445 §6.1.1) and
   *    cannot switch, so it keeps its role and answers 487 (§7.3.1.1);
   * 8. otherwise 200 with XOR-MAPPED-ADDRESS; the tuple is remembered, its consent
   *    refreshed, and with USE-CANDIDATE (or when nothing is selected yet) selected.
   */
  handleBindingRequest(msg: DecodedStunMessage, tuple: IceTuple): Uint8Array | null {
    const stats = this.stats;
    stats.requests++;
    if (this.#state === 'closed') return null;
    if (msg.class !== StunClass.Request || msg.method !== StunMethod.Binding) {
      stats.notRequest++;
      return null;
    }
    // decodeMessage checks a present FINGERPRINT by default; checked again here so the
    // agent does not depend on the caller's decode options (one CRC-32 of ~100 bytes).
    if (msg.fingerprintAt < 0 || !verifyFingerprint(msg.bytes)) {
      stats.badFingerprint++;
      return null;
    }
    const username = msg.raw(AttrType.Username);
    if (username === undefined || (msg.integrityAt < 0 && msg.integritySha256At < 0)) {
      stats.badRequest++;
      return errorResponse(msg, 400);
    }
    let gen: Generation | undefined;
    if (usernameMatches(username, this.#current)) gen = this.#current;
    else if (this.#previous !== undefined && usernameMatches(username, this.#previous)) gen = this.#previous;
    if (gen === undefined) {
      stats.badUsername++;
      return errorResponse(msg, 401);
    }
    if (!verifyIntegrity(msg, gen.key)) {
      stats.badIntegrity++;
      return errorResponse(msg, 401);
    }
    if (msg.unknownRequired.length > 0) {
      stats.unknownAttribute++;
      return errorResponse(msg, 420, gen.key, msg.unknownRequired);
    }
    if (msg.has(AttrType.IceControlled)) {
      stats.roleConflict++;
      return errorResponse(msg, 487, gen.key);
    }
    if (gen === this.#current) this.#previous = undefined;
    else stats.previousCredentials++;
    this.#accept(tuple, msg.has(AttrType.UseCandidate));
    stats.success++;
    return successResponse(msg, tuple, gen.key, msg.integritySha256At >= 0);
  }

  #accept(tuple: IceTuple, nominated: boolean): void {
    const now = this.#clock.now();
    this.#lastCheckAt = now;
    let pair = this.#pairs.get(tuple.key);
    if (pair === undefined) {
      if (this.#pairs.size >= this.#maxPairs) this.#forgetOldest();
      // A copy: the caller may reuse its tuple object.
      pair = {
        tuple: { protocol: tuple.protocol, address: tuple.address, port: tuple.port, key: tuple.key },
        lastCheckAt: now,
      };
      this.#pairs.set(tuple.key, pair);
    } else {
      pair.lastCheckAt = now;
    }
    if (nominated) this.stats.nominations++;
    // RFC 8445 §8.2: the lite agent uses the pair the controlling agent nominated, the
    // latest one when it nominates again. Before any nomination the first valid pair is
    // used, so a DTLS ClientHello that races the nominating check can be answered.
    if (nominated || this.#selected === undefined) this.#select(pair);
  }

  #select(pair: Pair): void {
    if (this.#selected === pair) return;
    this.#selected = pair;
    this.stats.selections++;
    this.emit('selected', pair.tuple);
    if (this.#state !== 'connected') {
      this.#state = 'connected';
      this.emit('connected');
    }
  }

  #forgetOldest(): void {
    let oldest: Pair | undefined;
    for (const p of this.#pairs.values()) {
      if (p !== this.#selected && (oldest === undefined || p.lastCheckAt < oldest.lastCheckAt)) oldest = p;
    }
    if (oldest !== undefined) {
      this.#pairs.delete(oldest.tuple.key);
      this.stats.pairsForgotten++;
    }
  }

  /**
   * Consent freshness (RFC 7675 §5.1): when no valid check arrived on the selected tuple
   * for `consentTimeoutMs`, it is dropped and `disconnected` is emitted. Also forgets
   * non-selected tuples as stale after the same time. Cheap: call it from one shared
   * timer at any rate; `nextTimeout()` says when it next matters.
   */
  tick(now: number = this.#clock.now()): void {
    if (this.#state === 'closed') return;
    const selected = this.#selected;
    if (selected !== undefined && now - selected.lastCheckAt >= this.#consentTimeoutMs) {
      this.#selected = undefined;
      this.#pairs.delete(selected.tuple.key);
      this.#state = 'disconnected';
      this.stats.consentExpired++;
      this.emit('disconnected');
    }
    if (now >= this.#nextPruneAt && this.#pairs.size > 0) {
      this.#nextPruneAt = now + PRUNE_INTERVAL_MS;
      for (const p of this.#pairs.values()) {
        if (p !== this.#selected && now - p.lastCheckAt >= this.#consentTimeoutMs) {
          this.#pairs.delete(p.tuple.key);
          this.stats.pairsForgotten++;
        }
      }
    }
  }

  /**
   * Clock time at which the selected tuple's consent expires unless a check arrives, or
   * undefined when nothing is selected (nothing can expire). For a timer wheel.
   */
  nextTimeout(): number | undefined {
    const selected = this.#selected;
    return selected === undefined || this.#state === 'closed'
      ? undefined
      : selected.lastCheckAt + this.#consentTimeoutMs;
  }

  /** Stops answering checks and emitting events; forgets every tuple. Twice is a no-op. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#selected = undefined;
    this.#pairs.clear();
    this.#previous = undefined;
  }
}
