/**
 * What the SFU benchmark needs of a server under test: start it, publish a peer's offer
 * (answer back), attach a subscriber to a publisher, the server's pid (procfs CPU and RSS
 * of the SFU alone), stop it. One implementation per server: Janus VideoRoom (janus.ts)
 * and itda (itda.ts, WHIP/WHEP).
 *
 * Offer direction differs between servers — WHEP players offer, Janus offers to its
 * subscribers — so a subscription gets an `SdpPeer` that can do either side.
 */

/** The load generator's end of one PeerConnection, as seen by a target's signalling. */
export interface SdpPeer {
  /** The peer's own offer (complete: ICE gathering done, candidates inline). */
  offer(): Promise<string>;
  /** Applies `remoteOffer` and returns the peer's complete answer. */
  answer(remoteOffer: string): Promise<string>;
  /** Applies the server's answer to `offer()`. */
  accept(remoteAnswer: string): Promise<void>;
}

/** A publisher as the target knows it: an opaque reference subscribers use. */
export interface Published {
  /** What `subscribe` takes to receive this publisher (Janus feed id, itda participant id). */
  readonly ref: string;
  /** Stops publishing (Janus leave/detach, WHIP DELETE). */
  close(): Promise<void>;
}

export interface Subscribed {
  /** Stops the subscription (Janus detach, WHEP DELETE). */
  close(): Promise<void>;
}

export interface SfuTarget {
  /** `janus`, `itda`, or `itda:N` (N media workers). */
  readonly name: string;
  /** The SFU process (all threads count in its /proc/<pid>/stat). Valid after `start()`. */
  readonly pid: number;
  /** One line about the server and its settings, for the report. */
  readonly notes: string;
  /** The local address the load generators bind their ICE to (127.0.0.1 unless the server needs otherwise). */
  readonly clientAddress: string;
  start(): Promise<void>;
  /** Publishes one participant's audio + video: `offerSdp` in, the SFU's answer out. */
  publish(offerSdp: string): Promise<{ answer: string; published: Published }>;
  /** Attaches `peer` as a subscriber of publisher `publisherRef` (audio + video). */
  subscribe(publisherRef: string, peer: SdpPeer): Promise<Subscribed>;
  stop(): Promise<void>;
}
