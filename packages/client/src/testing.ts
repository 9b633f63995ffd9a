/**
 * Scripted stand-ins for the browser's WebRTC objects, for Node tests of the SDK:
 * `FakePeerConnection` (the parts of RTCPeerConnection the SFU connections use) and
 * `FakeMediaStream`. Not part of the SDK's API.
 */

/** A transceiver of the fake connection. */
export class FakeTransceiver {
  mid: string | null = null;
  direction: string;
  currentDirection: string | null = null;
  readonly sender: { track: { id: string; kind: string } | null };
  readonly receiver: { track: { id: string; kind: string } };
  constructor(kind: string, track: { id: string; kind: string } | null, direction = 'sendrecv') {
    this.sender = { track };
    this.receiver = { track: { id: `r-${kind}`, kind } };
    this.direction = direction;
  }
  stop(): void {
    this.direction = 'stopped';
    this.currentDirection = 'stopped';
  }
}

/** A track as the fake connection hands it out. */
export interface FakeTrack {
  id: string;
  kind: string;
}

/**
 * Offers get mids in order; a remote offer fires `ontrack` for each `a=mid:<mid> <kind>`
 * line it has not seen; `failNext` makes the next setRemoteDescription reject.
 */
export class FakePeerConnection {
  signalingState = 'stable';
  iceConnectionState = 'new';
  connectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly offerOptions: unknown[] = [];
  readonly seenMids = new Set<string>();
  configuration: Record<string, unknown> = {};
  failNext = false;
  closed = false;
  #mids = 0;
  #offers = 0;
  #remote = '';
  onnegotiationneeded: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  ontrack: ((ev: { transceiver: { mid: string | null }; track: FakeTrack }) => void) | null = null;

  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }
  addTrack(track: FakeTrack): { track: FakeTrack | null } {
    const t = new FakeTransceiver(track.kind, track);
    this.transceivers.push(t);
    queueMicrotask(() => this.onnegotiationneeded?.());
    return t.sender;
  }
  async createOffer(options: unknown): Promise<{ type: string; sdp: string }> {
    this.offerOptions.push(options);
    return { type: 'offer', sdp: `offer ${++this.#offers}` };
  }
  async setLocalDescription(desc?: { type: string; sdp?: string }): Promise<void> {
    await Promise.resolve();
    if (desc?.type === 'rollback') {
      this.signalingState = 'stable';
      return;
    }
    if (desc?.type === 'offer') {
      for (const t of this.transceivers) if (t.mid === null && t.direction !== 'stopped') t.mid = String(this.#mids++);
      this.localDescription = { type: 'offer', sdp: desc.sdp ?? '' };
      this.signalingState = 'have-local-offer';
      return;
    }
    this.localDescription = { type: 'answer', sdp: `answer to ${this.#remote}` };
    this.signalingState = 'stable';
  }
  async setRemoteDescription(desc: { type: string; sdp?: string }): Promise<void> {
    await Promise.resolve();
    if (this.failNext) {
      this.failNext = false;
      throw new Error('bad sdp');
    }
    if (desc.type === 'rollback' || desc.type === 'answer') {
      this.signalingState = 'stable';
      return;
    }
    this.#remote = desc.sdp ?? '';
    this.signalingState = 'have-remote-offer';
    for (const m of (desc.sdp ?? '').matchAll(/a=mid:(\S+) (\w+)/g)) {
      const [, mid = '', kind = ''] = m;
      if (this.seenMids.has(mid)) continue;
      this.seenMids.add(mid);
      this.ontrack?.({ transceiver: { mid }, track: { id: `track-${mid}`, kind } });
    }
  }
  getConfiguration(): Record<string, unknown> {
    return this.configuration;
  }
  setConfiguration(c: Record<string, unknown>): void {
    this.configuration = c;
  }
  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }
  setIce(state: string): void {
    this.iceConnectionState = state;
    this.oniceconnectionstatechange?.();
  }
  readonly #listeners: (() => void)[] = [];
  addEventListener(type: string, listener: () => void): void {
    if (type === 'connectionstatechange') this.#listeners.push(listener);
  }
  /** Sets `connectionState` and fires `connectionstatechange` (handler, then listeners). */
  setConnection(state: string): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
    for (const l of this.#listeners) l();
  }
  close(): void {
    this.closed = true;
  }
}

let streamIds = 0;

/** The parts of MediaStream the Room uses. */
export class FakeMediaStream {
  readonly id = `stream-${++streamIds}`;
  readonly #tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.#tracks = [...tracks];
  }
  getTracks(): FakeTrack[] {
    return [...this.#tracks];
  }
  getAudioTracks(): FakeTrack[] {
    return this.#tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.#tracks.filter((t) => t.kind === 'video');
  }
  addTrack(t: FakeTrack): void {
    if (!this.#tracks.includes(t)) this.#tracks.push(t);
  }
  removeTrack(t: FakeTrack): void {
    const i = this.#tracks.indexOf(t);
    if (i >= 0) this.#tracks.splice(i, 1);
  }
  addEventListener(): void {}
}
