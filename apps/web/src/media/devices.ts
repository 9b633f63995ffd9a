/** Camera and microphone acquisition with graceful fallbacks, and device lists. */

export interface DeviceChoice {
  cameraId?: string;
  microphoneId?: string;
  speakerId?: string;
}

function constraint(id: string | undefined): MediaTrackConstraints | boolean {
  return id === undefined || id === '' ? true : { deviceId: { exact: id } };
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/**
 * Gets camera and microphone; falls back to whichever one works, then to nothing
 * (null, with the reason) so a person without devices can still join and listen.
 */
export async function getLocalMedia(choice: DeviceChoice): Promise<{ stream: MediaStream | null; problem?: string }> {
  const md = navigator.mediaDevices;
  if (md === undefined) return { stream: null, problem: 'Camera and microphone need a secure (https) page.' };
  const video = (): MediaTrackConstraints => {
    const c = constraint(choice.cameraId);
    return typeof c === 'boolean' ? VIDEO : { ...VIDEO, ...c };
  };
  const attempts: MediaStreamConstraints[] = [
    { audio: constraint(choice.microphoneId), video: video() },
    { audio: true, video: true },
    { audio: true, video: false },
    { audio: false, video: true },
  ];
  let last: unknown;
  for (const c of attempts) {
    try {
      return { stream: await md.getUserMedia(c) };
    } catch (err) {
      last = err;
    }
  }
  const name = last instanceof DOMException ? last.name : '';
  return {
    stream: null,
    problem:
      name === 'NotAllowedError'
        ? 'Camera and microphone are blocked. Allow them in the browser to be seen and heard.'
        : 'No camera or microphone found. You can still join to watch and listen.',
  };
}

/** Gets one track of `kind` from the given device. */
export async function getTrack(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack | undefined> {
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'audio' ? { audio: constraint(deviceId) } : { video: { ...VIDEO, ...(constraint(deviceId) as object) } },
  );
  return stream.getTracks()[0];
}

export async function listDevices(): Promise<MediaDeviceInfo[]> {
  try {
    return (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  } catch {
    return [];
  }
}

/** Sets the audio output of a media element where the browser supports it (setSinkId). */
export function setSpeaker(el: HTMLMediaElement, speakerId: string | undefined): void {
  const withSink = el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
  if (speakerId === undefined || typeof withSink.setSinkId !== 'function') return;
  withSink.setSinkId(speakerId).catch(() => undefined);
}

export function stopStream(stream: MediaStream | null | undefined): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
}
