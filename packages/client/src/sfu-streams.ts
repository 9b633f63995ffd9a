/**
 * Remote streams of a participant in an `sfu` room. The server's msid stream id is the
 * participant id for all of its tracks, so the Room builds its own streams instead: one
 * for the microphone and camera (`camera`) and one for the screen share and its audio
 * (`screen`), labelled with `setSource` so `cameraStream` / `screenStream` find them.
 */
import type { SubscribeTrack } from '@itda/protocol';
import type { RemoteParticipant } from './participant.ts';
import type { TrackSource } from './room-events.ts';
import { streamGroupOf } from './sfu-tracks.ts';

/** Adds `track` to the participant's stream for its source; creates the stream when needed. */
export function addSfuTrack(
  p: RemoteParticipant,
  info: SubscribeTrack,
  track: MediaStreamTrack,
): { stream: MediaStream; source: TrackSource } {
  const source = streamGroupOf(info.source);
  let stream = p.streamOf(source);
  if (stream === undefined) {
    stream = new MediaStream();
    p.addStream(stream);
    p.setSource(stream, source);
  }
  // A recycled m-line's new track may come (during setRemoteDescription) just before the
  // old one's `ended`: both are in the stream for that moment.
  if (!stream.getTracks().includes(track)) stream.addTrack(track);
  return { stream, source };
}

/**
 * Takes `track` out of the participant's stream for its source (the stream is dropped
 * once empty). Returns what was removed, or undefined when the track was not there.
 */
export function removeSfuTrack(
  p: RemoteParticipant,
  info: SubscribeTrack,
  track: MediaStreamTrack | undefined,
): { stream: MediaStream; source: TrackSource; track: MediaStreamTrack } | undefined {
  const source = streamGroupOf(info.source);
  const stream = p.streamOf(source);
  if (stream === undefined) return undefined;
  const found = stream.getTracks().find((t) => (track === undefined ? t.kind === info.kind : t === track));
  if (found === undefined) return undefined;
  stream.removeTrack(found);
  if (stream.getTracks().length === 0) p.removeStream(stream);
  return { stream, source, track: found };
}
