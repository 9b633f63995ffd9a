/**
 * The links of a `p2p` room: one PeerLink per remote participant (see peer-link.ts),
 * the routing of relayed `offer` / `answer` / `candidate` to them, and those that arrive
 * before their sender is announced — kept (bounded) and replayed once it is.
 */
import type { Clock, Logger } from '@itda/common';
import type { ServerMessageOf } from '@itda/protocol';
import { PeerLink } from './peer-link.ts';
import { isPolite } from './polite.ts';
import type { OutgoingMessage } from './signaling-client.ts';

/** Messages from a participant not yet announced, kept until its `participant-joined`. */
const MAX_EARLY_PER_PEER = 64;
const MAX_EARLY_PEERS = 8;

type Relayed = ServerMessageOf<'offer' | 'answer' | 'candidate'>;

export interface MeshLinksOptions {
  clock: Clock;
  logger: Logger;
  signal: (message: OutgoingMessage) => void;
  /** The configuration for a new connection (ICE servers change on resume). */
  configuration: () => RTCConfiguration;
  /** This participant's id (polite side = the lower id). */
  localId: () => string;
  maxFileBytes?: number;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export class MeshLinks {
  readonly #o: MeshLinksOptions;
  readonly #links = new Map<string, PeerLink>();
  readonly #early = new Map<string, Relayed[]>();

  constructor(options: MeshLinksOptions) {
    this.#o = options;
  }

  /** The link to a new participant; `initiator`: this side makes the first offer. */
  create(remoteId: string, initiator: boolean): PeerLink {
    const o = this.#o;
    const link = new PeerLink({
      remoteId,
      polite: isPolite(o.localId(), remoteId),
      initiator,
      configuration: o.configuration(),
      clock: o.clock,
      logger: o.logger,
      signal: o.signal,
      ...(o.maxFileBytes === undefined ? {} : { maxFileBytes: o.maxFileBytes }),
      ...(o.createPeerConnection === undefined ? {} : { createPeerConnection: o.createPeerConnection }),
    });
    this.#links.set(remoteId, link);
    return link;
  }

  /** Applies a relayed message to its link, or keeps it until the sender is announced. */
  route(m: Relayed): void {
    const link = this.#links.get(m.from);
    if (link === undefined) {
      this.#keepEarly(m);
      return;
    }
    if (m.type === 'candidate') void link.handleCandidate(m.candidate);
    else void link.handleDescription({ type: m.type, sdp: m.sdp });
  }

  /** Replays what `remoteId` sent before its link existed. */
  replayEarly(remoteId: string): void {
    const early = this.#early.get(remoteId);
    this.#early.delete(remoteId);
    for (const m of early ?? []) this.route(m);
  }

  #keepEarly(m: Relayed): void {
    let list = this.#early.get(m.from);
    if (list === undefined) {
      if (this.#early.size >= MAX_EARLY_PEERS) return;
      list = [];
      this.#early.set(m.from, list);
    }
    if (list.length < MAX_EARLY_PER_PEER) list.push(m);
  }

  /** Takes a participant's link out (the caller closes it) and drops what it sent early. */
  remove(remoteId: string): PeerLink | undefined {
    const link = this.#links.get(remoteId);
    this.#links.delete(remoteId);
    this.#early.delete(remoteId);
    return link;
  }

  /** After a signaling outage: fresh ICE servers, resent offers, ICE restarts. */
  recover(iceServers: RTCIceServer[]): void {
    for (const link of this.#links.values()) {
      link.setIceServers(iceServers);
      link.recover();
    }
  }

  get peerConnections(): RTCPeerConnection[] {
    return [...this.#links.values()].map((l) => l.pc);
  }

  /** Forgets the kept early messages (the links are removed one by one with `remove`). */
  clearEarly(): void {
    this.#early.clear();
  }
}
