/**
 * A remote participant: identity and media state from signaling, its peer connection,
 * and its remote streams, with the camera stream and the screen-share stream told apart
 * by `media.screenStreamId` (the sender announces it with `update` before adding the
 * screen track, so it is known by the time the track arrives) — or, in `sfu` rooms,
 * by the source the server lists for each track (`setSource`).
 */
import type { MediaState, ParticipantInfo } from '@itda/protocol';
import type { PeerChannel } from './peer-channel.ts';
import type { TrackSource } from './room-events.ts';

/** What a participant's media and data come through (a PeerLink in p2p rooms). */
export interface RemoteLink {
  /** The RTCPeerConnection the participant's media arrives on. */
  readonly pc: RTCPeerConnection;
  /** Chat and files from (and, in p2p rooms, to) the participant. */
  readonly channel: PeerChannel;
  close(): void;
}

export class RemoteParticipant {
  readonly id: string;
  name: string;
  identity: string | null;
  joinedAt: number;
  media: MediaState;
  /** May moderate the room (a host). */
  host: boolean;
  /** Devices a host forced off until released. */
  held: ReadonlyArray<'audio' | 'video'>;
  /** Speaking now (`sfu` rooms: the server's audio levels; see `RoomEvent.SpeakingChanged`). */
  speaking = false;
  /** The loudest audio level while speaking, 0–1 (0 when not speaking). */
  audioLevel = 0;
  /** The link to this participant (internal; use `pc` for the RTCPeerConnection). */
  readonly link: RemoteLink;
  readonly #streams = new Map<string, MediaStream>();
  /** Sources set by the Room (`sfu` rooms), by stream id. */
  readonly #sources = new Map<string, TrackSource>();

  constructor(info: ParticipantInfo, link: RemoteLink) {
    this.id = info.id;
    this.name = info.name;
    this.identity = info.identity;
    this.joinedAt = info.joinedAt;
    this.media = info.media;
    this.host = info.host === true;
    this.held = info.held ?? [];
    this.link = link;
  }

  /**
   * The RTCPeerConnection this participant's media arrives on: its own in a p2p mesh,
   * the shared subscribe connection in an `sfu` room.
   */
  get pc(): RTCPeerConnection {
    return this.link.pc;
  }

  /** `pc.connectionState`. */
  get connectionState(): RTCPeerConnectionState {
    return this.link.pc.connectionState;
  }

  /** Every remote stream of this participant, by stream id. */
  get streams(): ReadonlyMap<string, MediaStream> {
    return this.#streams;
  }

  /** The stream with the participant's camera and microphone, or null. */
  get cameraStream(): MediaStream | null {
    for (const s of this.#streams.values()) {
      if (this.sourceOf(s) === 'camera' && s.getTracks().length > 0) return s;
    }
    return null;
  }

  /** The participant's screen share, or null when not sharing. */
  get screenStream(): MediaStream | null {
    for (const s of this.#streams.values()) {
      if (this.sourceOf(s) === 'screen' && s.getTracks().length > 0) return s;
    }
    return null;
  }

  /** Which source a stream is. */
  sourceOf(stream: MediaStream): TrackSource {
    return this.#sources.get(stream.id) ?? (stream.id === this.media.screenStreamId ? 'screen' : 'camera');
  }

  /** The stream set to `source` with `setSource` (internal, `sfu` rooms). */
  streamOf(source: TrackSource): MediaStream | undefined {
    for (const [id, s] of this.#sources) if (s === source) return this.#streams.get(id);
    return undefined;
  }

  /** Records a stream's source (internal, `sfu` rooms: the server says it). */
  setSource(stream: MediaStream, source: TrackSource): void {
    this.#sources.set(stream.id, source);
  }

  /** Records a remote stream (internal). Returns true when it is new. */
  addStream(stream: MediaStream): boolean {
    if (this.#streams.has(stream.id)) return false;
    this.#streams.set(stream.id, stream);
    return true;
  }

  /** Forgets a stream (internal). */
  removeStream(stream: MediaStream): void {
    this.#streams.delete(stream.id);
    this.#sources.delete(stream.id);
  }

  /** Updates name and media from signaling (internal). */
  update(info: ParticipantInfo): void {
    this.name = info.name;
    this.identity = info.identity;
    this.media = info.media;
    this.host = info.host === true;
    this.held = info.held ?? [];
  }
}
