/**
 * What this participant sends, and the RTCRtpSenders that send it on every link.
 *
 * - Microphone mute: `track.enabled = false` (silence is sent; no renegotiation).
 * - Camera off: `sender.replaceTrack(null)` on every link (nothing is sent; no
 *   renegotiation) and `track.enabled = false` for the local preview.
 * - Device switching: `replaceTrack(track)` swaps the track in the local stream and on
 *   every sender (`RTCRtpSender.replaceTrack`, no renegotiation); a kind with no sender
 *   yet is added with `addTrack` (renegotiation).
 * - Screen share: its own MediaStream, added with `addTrack` (renegotiation) and removed
 *   with `removeTrack` when it stops.
 * Media state changes are announced through `onChange` (the Room sends `update`).
 */
import type { MediaState } from '@itda/protocol';

/** A connection media is sent on: a P2P link, or the publish connection of an `sfu` room. */
export interface MediaLink {
  readonly pc: RTCPeerConnection;
  /** Send the camera as simulcast layers (an `sfu` publish connection with `RoomOptions.simulcast`). */
  readonly simulcast?: boolean;
}

/**
 * Simulcast encodings for a camera track (RFC 8853 rids, lowest first): ¼, ½ and full
 * resolution from 540 lines up, ½ and full below (browsers send fewer layers for small
 * sources anyway). The lower layers are capped so the top one gets the bandwidth.
 */
export function simulcastEncodings(track: MediaStreamTrack): RTCRtpEncodingParameters[] {
  const height = track.getSettings().height ?? 480;
  const half = { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 };
  const full = { rid: 'f', scaleResolutionDownBy: 1 };
  if (height < 540) return [half, full];
  return [{ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 }, half, full];
}

/** Adds the camera track: as simulcast layers where the link wants them, else one stream. */
function addCamera(link: MediaLink, track: MediaStreamTrack, stream: MediaStream): RTCRtpSender {
  if (link.simulcast !== true) return link.pc.addTrack(track, stream);
  return link.pc.addTransceiver(track, {
    direction: 'sendonly',
    streams: [stream],
    sendEncodings: simulcastEncodings(track),
  }).sender;
}

interface Senders {
  audio?: RTCRtpSender;
  video?: RTCRtpSender;
  screen: RTCRtpSender[];
}

export class LocalMedia {
  /** Camera and microphone tracks. */
  stream: MediaStream | null;
  /** The screen share, when sharing. */
  screen: MediaStream | null = null;
  #ownsScreen = false;
  #media: MediaState;
  /** From `joined.grants.canPublish`: when false nothing is sent. */
  canPublish = true;
  readonly #senders = new Map<MediaLink, Senders>();
  readonly #onChange: (media: MediaState) => void;

  constructor(stream: MediaStream | null, onChange: (media: MediaState) => void) {
    this.stream = stream;
    this.#onChange = onChange;
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    this.#media = {
      audio: audio?.enabled === true,
      video: video?.enabled === true,
      screenStreamId: null,
    };
  }

  get media(): MediaState {
    return { ...this.#media };
  }

  #track(kind: 'audio' | 'video'): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream?.getAudioTracks()[0] : this.stream?.getVideoTracks()[0];
  }

  /** Starts sending on a new link. */
  attach(link: MediaLink): void {
    const senders: Senders = { screen: [] };
    this.#senders.set(link, senders);
    if (!this.canPublish) return;
    const stream = this.stream;
    if (stream !== null) {
      for (const kind of ['audio', 'video'] as const) {
        const track = this.#track(kind);
        if (track === undefined) continue;
        const sender = kind === 'video' ? addCamera(link, track, stream) : link.pc.addTrack(track, stream);
        senders[kind] = sender;
        if (kind === 'video' && !this.#media.video) void sender.replaceTrack(null).catch(() => undefined);
      }
    }
    const screen = this.screen;
    if (screen !== null) for (const t of screen.getTracks()) senders.screen.push(link.pc.addTrack(t, screen));
  }

  /** Forgets a closed link. */
  detach(link: MediaLink): void {
    this.#senders.delete(link);
  }

  /** Mutes or unmutes the microphone (track.enabled; no renegotiation). */
  setMicrophoneEnabled(enabled: boolean): void {
    const track = this.#track('audio');
    if (track !== undefined) track.enabled = enabled;
    this.#set({ audio: enabled && track !== undefined });
  }

  /** Turns the camera on or off for everyone (replaceTrack; no renegotiation). */
  async setCameraEnabled(enabled: boolean): Promise<void> {
    const track = this.#track('video');
    if (track !== undefined) track.enabled = enabled;
    this.#set({ video: enabled && track !== undefined });
    await this.#applyVideo();
  }

  async #applyVideo(): Promise<void> {
    const track = this.#track('video');
    const send = this.#media.video && track !== undefined ? track : null;
    const jobs: Promise<void>[] = [];
    for (const [link, s] of this.#senders) {
      if (s.video !== undefined) jobs.push(s.video.replaceTrack(send).catch(() => undefined));
      else if (send !== null && this.canPublish && this.stream !== null) s.video = addCamera(link, send, this.stream);
    }
    await Promise.all(jobs);
  }

  /**
   * Replaces the local camera or microphone track (device switching) on every link.
   * Returns the previous track of that kind; the caller stops it.
   */
  async replaceTrack(track: MediaStreamTrack): Promise<MediaStreamTrack | undefined> {
    const kind = track.kind === 'audio' ? 'audio' : 'video';
    const old = this.#track(kind);
    if (this.stream === null) this.stream = new MediaStream();
    if (old !== undefined) this.stream.removeTrack(old);
    this.stream.addTrack(track);
    if (kind === 'audio') {
      track.enabled = old === undefined ? true : this.#media.audio;
      this.#set({ audio: track.enabled });
      const jobs: Promise<void>[] = [];
      for (const [link, s] of this.#senders) {
        if (s.audio !== undefined) jobs.push(s.audio.replaceTrack(track).catch(() => undefined));
        else if (this.canPublish) s.audio = link.pc.addTrack(track, this.stream);
      }
      await Promise.all(jobs);
    } else {
      if (old === undefined) this.#set({ video: true });
      track.enabled = this.#media.video;
      await this.#applyVideo();
    }
    return old;
  }

  /** Starts sending a screen share; `owns` = stop its tracks when sharing stops. */
  startScreen(stream: MediaStream, owns: boolean): void {
    this.screen = stream;
    this.#ownsScreen = owns;
    // Announced before the tracks are added, so receivers can classify them on arrival.
    this.#set({ screenStreamId: stream.id });
    if (!this.canPublish) return;
    for (const [link, s] of this.#senders) {
      for (const t of stream.getTracks()) s.screen.push(link.pc.addTrack(t, stream));
    }
  }

  /** Stops the screen share: removes its senders (renegotiation). */
  stopScreen(): void {
    const screen = this.screen;
    if (screen === null) return;
    this.screen = null;
    for (const [link, s] of this.#senders) {
      for (const sender of s.screen) {
        if (link.pc.signalingState !== 'closed') link.pc.removeTrack(sender);
      }
      s.screen = [];
    }
    if (this.#ownsScreen) for (const t of screen.getTracks()) t.stop();
    this.#set({ screenStreamId: null });
  }

  #set(patch: Partial<MediaState>): void {
    const next = { ...this.#media, ...patch };
    if (
      next.audio === this.#media.audio &&
      next.video === this.#media.video &&
      next.screenStreamId === this.#media.screenStreamId
    ) {
      return;
    }
    this.#media = next;
    this.#onChange(this.media);
  }
}
