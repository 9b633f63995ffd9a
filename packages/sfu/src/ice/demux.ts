/**
 * The shared-port registry: every WebRtcTransport of a process receives on one UDP port
 * (and one ICE-TCP port), so incoming packets are sorted by
 * - STUN: the local ufrag, the part of USERNAME before `:` (RFC 8445 §7.3: USERNAME is
 *   `localUfrag:remoteUfrag` from the receiver's point of view);
 * - everything else (DTLS, SRTP): the remote 5-tuple, which a valid connectivity check
 *   bound to its transport. A tuple no check verified owns nothing: its packets are
 *   dropped (RFC 8445 §7.3 learns addresses from checks only; RFC 7675 consent).
 *
 * `ownerForTuple` is the media hot path: one Map lookup, nothing allocated.
 */
import { AttrType, type DecodedStunMessage } from '@itda/stun';
import { IceError, IceErrorCode } from './errors.ts';

/** Limits of IceDemux, validated in the constructor. */
export interface IceDemuxOptions {
  /**
   * Tuples bound to one owner at once (UDP + TCP candidates, NAT rebindings). Binding one
   * more forgets that owner's least recently bound tuple. Default 8; 1–1,024.
   */
  maxTuplesPerOwner?: number;
  /** Tuples bound in total; beyond it a new binding is refused. Default 100,000; 1–10,000,000. */
  maxTuples?: number;
  /**
   * ufrags registered to one owner at once (the current one and the one before an ICE
   * restart). Registering one more forgets the owner's oldest ufrag. Default 2; 1–16.
   */
  maxUfragsPerOwner?: number;
}

/** Counters of the registry's decisions, for metrics. */
export interface IceDemuxStats {
  /** `ownerForTuple` found nothing: a packet from a tuple no check verified (`unverified_tuple`). */
  unverifiedTuple: number;
  /** `ownerForStun` found no owner for the local ufrag (`ice_unknown_ufrag`). */
  unknownUfrag: number;
  /** `ownerForStun` on a message without a usable USERNAME. */
  noUsername: number;
  /** Bindings refused because `maxTuples` was reached. */
  tupleLimit: number;
  /** Tuples forgotten because their owner reached `maxTuplesPerOwner`. */
  tuplesEvicted: number;
  /** Tuples that moved from one owner to another (a valid check for the other one). */
  tuplesMoved: number;
}

interface OwnerEntry {
  /** Registered ufrags, oldest first. */
  ufrags: string[];
  /** Bound tuple keys, least recently bound first (re-binding moves a key to the end). */
  tuples: Set<string>;
}

function intOption(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new IceError(IceErrorCode.BadOption, `${name} must be an integer in ${min}–${max}`, { details: { value } });
  }
  return v;
}

/**
 * The local part (before the first `:`) of the USERNAME of a raw STUN message, or
 * undefined when there is none. Walks the attribute headers without decoding anything
 * else; never throws, whatever the bytes. For routing before a full decode.
 */
export function usernameLocalPart(message: Uint8Array): string | undefined {
  const n = message.length;
  if (n < 20) return undefined;
  const end = Math.min(n, 20 + ((message[2] as number) << 8) + (message[3] as number));
  for (let at = 20; at + 4 <= end; ) {
    const type = ((message[at] as number) << 8) | (message[at + 1] as number);
    const length = ((message[at + 2] as number) << 8) | (message[at + 3] as number);
    if (type === AttrType.Username) {
      if (at + 4 + length > end) return undefined;
      return localPartOf(message.subarray(at + 4, at + 4 + length));
    }
    at += 4 + ((length + 3) & ~3);
  }
  return undefined;
}

/** The text before the first `:` of a USERNAME value; undefined without `:` or when empty. */
function localPartOf(value: Uint8Array): string | undefined {
  const colon = value.indexOf(0x3a);
  if (colon <= 0) return undefined;
  // ufrags are ice-chars (ASCII): latin1 decoding is exact for them, and cheaper than UTF-8.
  return Buffer.from(value.buffer, value.byteOffset, colon).toString('latin1');
}

/** The registry of one shared port set: ufrag → owner, verified tuple → owner. */
export class IceDemux<T> {
  readonly stats: IceDemuxStats = {
    unverifiedTuple: 0,
    unknownUfrag: 0,
    noUsername: 0,
    tupleLimit: 0,
    tuplesEvicted: 0,
    tuplesMoved: 0,
  };
  readonly #maxPerOwner: number;
  readonly #maxTuples: number;
  readonly #maxUfrags: number;
  readonly #byUfrag = new Map<string, T>();
  readonly #byTuple = new Map<string, T>();
  readonly #owners = new Map<T, OwnerEntry>();

  /** @throws IceError ice_bad_option */
  constructor(options: IceDemuxOptions = {}) {
    this.#maxPerOwner = intOption(options.maxTuplesPerOwner, 8, 1, 1024, 'maxTuplesPerOwner');
    this.#maxTuples = intOption(options.maxTuples, 100_000, 1, 10_000_000, 'maxTuples');
    this.#maxUfrags = intOption(options.maxUfragsPerOwner, 2, 1, 16, 'maxUfragsPerOwner');
  }

  /** Registered owners. */
  get ownerCount(): number {
    return this.#owners.size;
  }

  /** Bound tuples, all owners. */
  get tupleCount(): number {
    return this.#byTuple.size;
  }

  /**
   * Routes STUN whose USERNAME starts with `localUfrag:` to `owner`. An owner may hold
   * several (ICE restart: the new one is registered while the old one still works);
   * beyond `maxUfragsPerOwner` its oldest is forgotten. Registering again is a no-op.
   * @throws IceError ice_ufrag_in_use when another owner holds `localUfrag`.
   */
  register(localUfrag: string, owner: T): void {
    const holder = this.#byUfrag.get(localUfrag);
    if (holder !== undefined && holder !== owner) {
      throw new IceError(IceErrorCode.UfragInUse, 'the ufrag is registered to another owner');
    }
    if (holder === owner) return;
    const entry = this.#entry(owner);
    entry.ufrags.push(localUfrag);
    this.#byUfrag.set(localUfrag, owner);
    while (entry.ufrags.length > this.#maxUfrags) {
      const old = entry.ufrags.shift();
      if (old !== undefined) this.#byUfrag.delete(old);
    }
  }

  /** Forgets one ufrag (e.g. the pre-restart one once the restart finished). */
  unregisterUfrag(localUfrag: string): void {
    const owner = this.#byUfrag.get(localUfrag);
    if (owner === undefined) return;
    this.#byUfrag.delete(localUfrag);
    const entry = this.#owners.get(owner);
    if (entry !== undefined) entry.ufrags = entry.ufrags.filter((u) => u !== localUfrag);
  }

  /** Forgets the owner: its ufrags and its tuples. Unknown owners are ignored. */
  unregister(owner: T): void {
    const entry = this.#owners.get(owner);
    if (entry === undefined) return;
    for (const u of entry.ufrags) this.#byUfrag.delete(u);
    for (const k of entry.tuples) this.#byTuple.delete(k);
    this.#owners.delete(owner);
  }

  /** The owner of a local ufrag. */
  ownerForUfrag(localUfrag: string): T | undefined {
    return this.#byUfrag.get(localUfrag);
  }

  /**
   * The owner a STUN message is for, by the local part of USERNAME. Undefined (counted)
   * when the message has no USERNAME with a `:` or nobody holds that ufrag. The owner
   * still authenticates the message (`IceLiteAgent.handleBindingRequest`).
   */
  ownerForStun(msg: DecodedStunMessage): T | undefined {
    const raw = msg.raw(AttrType.Username);
    const local = raw === undefined ? undefined : localPartOf(raw);
    if (local === undefined) {
      this.stats.noUsername++;
      return undefined;
    }
    const owner = this.#byUfrag.get(local);
    if (owner === undefined) this.stats.unknownUfrag++;
    return owner;
  }

  /**
   * Binds a tuple key to `owner` after a valid check from it (call it on every valid
   * check: re-binding marks the tuple as recently used). The owner must be registered.
   * A tuple bound to another owner moves. Returns false (counted) when the owner is not
   * registered or `maxTuples` is reached; an owner at `maxTuplesPerOwner` forgets its
   * least recently bound tuple instead.
   */
  bindTuple(key: string, owner: T): boolean {
    const entry = this.#owners.get(owner);
    if (entry === undefined) return false;
    const holder = this.#byTuple.get(key);
    if (holder === owner) {
      entry.tuples.delete(key);
      entry.tuples.add(key);
      return true;
    }
    if (holder !== undefined) {
      this.#owners.get(holder)?.tuples.delete(key);
      this.#byTuple.delete(key);
      this.stats.tuplesMoved++;
    }
    if (entry.tuples.size >= this.#maxPerOwner) {
      const oldest = entry.tuples.values().next().value;
      if (oldest !== undefined) {
        entry.tuples.delete(oldest);
        this.#byTuple.delete(oldest);
        this.stats.tuplesEvicted++;
      }
    }
    if (this.#byTuple.size >= this.#maxTuples) {
      this.stats.tupleLimit++;
      return false;
    }
    entry.tuples.add(key);
    this.#byTuple.set(key, owner);
    return true;
  }

  /**
   * The owner of a verified tuple, or undefined (counted as `unverifiedTuple`): drop the
   * packet. The hot path: one Map lookup.
   */
  ownerForTuple(key: string): T | undefined {
    const owner = this.#byTuple.get(key);
    if (owner === undefined) this.stats.unverifiedTuple++;
    return owner;
  }

  /** Forgets one tuple (its TCP connection closed, or its owner forgot it). */
  unbindTuple(key: string): void {
    const owner = this.#byTuple.get(key);
    if (owner === undefined) return;
    this.#byTuple.delete(key);
    this.#owners.get(owner)?.tuples.delete(key);
  }

  /** Forgets every tuple of `owner` (keeps its ufrags: checks can bind new ones). */
  unbindTuples(owner: T): void {
    const entry = this.#owners.get(owner);
    if (entry === undefined) return;
    for (const k of entry.tuples) this.#byTuple.delete(k);
    entry.tuples.clear();
  }

  /** The tuple keys bound to `owner`, least recently bound first. */
  tuplesOf(owner: T): string[] {
    return [...(this.#owners.get(owner)?.tuples ?? [])];
  }

  #entry(owner: T): OwnerEntry {
    let entry = this.#owners.get(owner);
    if (entry === undefined) {
      entry = { ufrags: [], tuples: new Set() };
      this.#owners.set(owner, entry);
    }
    return entry;
  }
}
