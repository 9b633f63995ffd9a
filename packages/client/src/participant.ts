/**
 * A remote participant: identity and media state from signaling, its peer connection,
 * and its remote streams, with the camera stream and the screen-share stream told apart
 * by `media.screenStreamId` (the sender announces it with `update` before adding the
 * screen track, so it is known by the time the track arrives).
 */
import type { MediaState, ParticipantInfo } from '@itda/protocol';
import type { PeerLink } from './peer-link.ts';
import type { TrackSource } from './room-events.ts';

export class RemoteParticipant {
  readonly id: string;
  name: string;
  identity: string | null;
  joinedAt: number;
  media: MediaState;
  /** The link to this participant (internal; use `pc` for the RTCPeerConnection). */
  readonly link: PeerLink;
  readonly #streams = new Map<string, MediaStream>();

  constructor(info: ParticipantInfo, link: PeerLink) {
    this.id = info.id;
    this.name = info.name;
    this.identity = info.identity;
    this.joinedAt = info.joinedAt;
    this.media = info.media;
    this.link = link;
  }

  /** The RTCPeerConnection to this participant (one per remote participant: a mesh). */
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
      if (s.id !== this.media.screenStreamId && s.getTracks().length > 0) return s;
    }
    return null;
  }

  /** The participant's screen share, or null when not sharing. */
  get screenStream(): MediaStream | null {
    const id = this.media.screenStreamId;
    if (id === null) return null;
    const s = this.#streams.get(id);
    return s !== undefined && s.getTracks().length > 0 ? s : null;
  }

  /** Which source a stream is. */
  sourceOf(stream: MediaStream): TrackSource {
    return stream.id === this.media.screenStreamId ? 'screen' : 'camera';
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
  }

  /** Updates name and media from signaling (internal). */
  update(info: ParticipantInfo): void {
    this.name = info.name;
    this.identity = info.identity;
    this.media = info.media;
  }
}
