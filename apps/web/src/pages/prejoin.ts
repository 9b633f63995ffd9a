/**
 * `/r/<room>` before joining: camera preview, microphone level, device selection,
 * display name, and the `Join` button. An invitation link (`#token=…`, invitation.ts)
 * fills in the name it carries; a link that cannot work shows why instead. Below the
 * preview, a network check (network-view.ts) when the server lets this visitor join.
 */
import { clampDisplayName, displayNameProblem, MAX_NAME_LENGTH } from '@itda/protocol';
import { h, logo } from '../dom.ts';
import { endState } from '../end-state.ts';
import { takeInvitation } from '../invitation.ts';
import { getLocalMedia, getTrack, listDevices, stopStream } from '../media/devices.ts';
import { startLevelMeter } from '../media/level-meter.ts';
import { networkCheckView } from '../network-view.ts';
import { normalizeRoomName } from '../room-name.ts';
import { navigate, type Screen, show } from '../router.ts';
import { describeServer } from '../server-config.ts';
import { type CallSettings, saveDisplayName, savedDisplayName } from '../settings.ts';
import { callScreen } from './call.ts';
import { leftScreen } from './left.ts';
import { notFoundScreen } from './not-found.ts';

export function prejoinScreen(roomInput: string): Screen {
  const room = normalizeRoomName(roomInput);
  if (room === null) return notFoundScreen;
  const invite = takeInvitation(room);
  if (invite.kind === 'problem') return leftScreen({ room, name: '' }, endState(invite.problem));
  const invitation = invite.kind === 'ok' ? invite.invitation : undefined;
  return (root) => {
    document.title = `${room} — itda`;
    let stream: MediaStream | null = null;
    let handedOver = false;
    let disposed = false;
    let stopMeter: () => void = () => undefined;
    let stopCheck: () => void = () => undefined;

    const video = h('video', { class: 'mirror', autoplay: true, playsinline: true, 'aria-label': 'Camera preview' });
    video.muted = true;
    const noVideo = h('div', { class: 'no-video' }, 'Camera is off');
    const meter = h('meter', {
      'aria-label': 'Microphone level',
      min: 0,
      max: 1,
      low: 0.7,
      high: 0.9,
      optimum: 0.4,
      value: 0,
    });
    const problem = h('p', { class: 'problem', hidden: true });
    const nameInput = h('input', {
      id: 'display-name',
      type: 'text',
      autocomplete: 'nickname',
      maxlength: MAX_NAME_LENGTH,
      required: true,
      value: invitation?.name ?? savedDisplayName(),
    });
    // A name set by the invitation is the name the others see (the server enforces it).
    const nameFixed = invitation?.name !== undefined && !invitation.canRename;
    if (nameFixed) nameInput.readOnly = true;
    const camera = h('select', { id: 'camera-select' });
    const microphone = h('select', { id: 'microphone-select' });
    const speaker = h('select', { id: 'speaker-select' });
    const joinButton = h('button', { class: 'btn primary big', type: 'submit' }, 'Join');

    const field = (id: string, label: string, control: HTMLElement): HTMLElement =>
      h('div', { class: 'field' }, h('label', { for: id }, label), control);

    // Filled once the server says this visitor may join (open rooms, or an invitation).
    const network = h('div', { class: 'network-slot' });
    void describeServer().then((config) => {
      if (disposed || (config?.openRooms !== true && invitation === undefined)) return;
      const view = networkCheckView(invitation?.token);
      stopCheck = view.stop;
      network.append(view.element);
    });

    const form = h(
      'form',
      { class: 'card prejoin-form', onsubmit: (ev: Event) => onJoin(ev) },
      h('h1', {}, 'Ready to join?'),
      h('p', { class: 'muted' }, 'Room ', h('strong', { class: 'room-name' }, room)),
      field('display-name', 'Display name', nameInput),
      ...(invitation === undefined
        ? []
        : [h('p', { class: 'muted invited' }, nameFixed ? 'Invited by link, under this name.' : 'Invited by link.')]),
      field('camera-select', 'Camera', camera),
      field('microphone-select', 'Microphone', microphone),
      field('speaker-select', 'Speaker', speaker),
      joinButton,
    );
    root.append(
      h(
        'main',
        { class: 'page prejoin' },
        h(
          'header',
          { class: 'topbar' },
          h('a', { class: 'brand small', href: '/', onclick: (ev: Event) => home(ev) }, logo(), 'itda'),
        ),
        h(
          'div',
          { class: 'prejoin-grid' },
          h(
            'section',
            { class: 'card preview', 'aria-label': 'Preview' },
            h('div', { class: 'video-wrap' }, video, noVideo),
            h('div', { class: 'meter-row' }, h('span', { 'aria-hidden': 'true' }, 'Mic'), meter),
            problem,
            network,
          ),
          form,
        ),
      ),
    );

    function home(ev: Event): void {
      ev.preventDefault();
      navigate('/');
    }

    function setOptions(select: HTMLSelectElement, devices: MediaDeviceInfo[], current: string | undefined): void {
      const options = devices.map((d, i) =>
        h('option', { value: d.deviceId }, d.label || `${select.id.split('-')[0]} ${i + 1}`),
      );
      if (options.length === 0) options.push(h('option', { value: '' }, 'Default'));
      select.replaceChildren(...options);
      if (current !== undefined && devices.some((d) => d.deviceId === current)) select.value = current;
    }

    async function refreshDevices(): Promise<void> {
      const devices = await listDevices();
      if (disposed) return;
      const cam = stream?.getVideoTracks()[0]?.getSettings().deviceId;
      const mic = stream?.getAudioTracks()[0]?.getSettings().deviceId;
      setOptions(
        camera,
        devices.filter((d) => d.kind === 'videoinput'),
        cam,
      );
      setOptions(
        microphone,
        devices.filter((d) => d.kind === 'audioinput'),
        mic,
      );
      setOptions(
        speaker,
        devices.filter((d) => d.kind === 'audiooutput'),
        speaker.value || undefined,
      );
    }

    function attach(): void {
      video.srcObject = stream;
      const hasVideo = (stream?.getVideoTracks().length ?? 0) > 0;
      noVideo.hidden = hasVideo;
      stopMeter();
      meter.value = 0;
      stopMeter = stream === null ? () => undefined : startLevelMeter(stream, (v) => (meter.value = v));
    }

    async function replace(kind: 'audio' | 'video', deviceId: string): Promise<void> {
      try {
        const track = await getTrack(kind, deviceId);
        if (track === undefined || disposed) {
          track?.stop();
          return;
        }
        if (stream === null) stream = new MediaStream();
        for (const old of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) {
          stream.removeTrack(old);
          old.stop();
        }
        stream.addTrack(track);
        attach();
      } catch {
        problem.hidden = false;
        problem.textContent = `That ${kind === 'audio' ? 'microphone' : 'camera'} could not be opened.`;
      }
    }

    camera.addEventListener('change', () => void replace('video', camera.value));
    microphone.addEventListener('change', () => void replace('audio', microphone.value));
    navigator.mediaDevices?.addEventListener('devicechange', refreshDevices);

    function onJoin(ev: Event): void {
      ev.preventDefault();
      if (joinButton.disabled) return;
      joinButton.disabled = true;
      // A quick click may come before the camera is open: wait for it.
      void mediaReady.then(() => {
        joinButton.disabled = false;
        if (!disposed) proceed();
      });
    }

    function proceed(): void {
      const name = clampDisplayName(nameInput.value);
      if (displayNameProblem(name) !== undefined) {
        nameInput.setAttribute('aria-invalid', 'true');
        nameInput.focus();
        return;
      }
      if (!nameFixed) saveDisplayName(name);
      const settings: CallSettings = {
        room: room as string,
        name,
        ...(invitation === undefined ? {} : { token: invitation.token }),
        ...(camera.value ? { cameraId: camera.value } : {}),
        ...(microphone.value ? { microphoneId: microphone.value } : {}),
        ...(speaker.value ? { speakerId: speaker.value } : {}),
      };
      handedOver = true;
      show(callScreen(settings, stream));
    }

    const mediaReady = (async () => {
      const got = await getLocalMedia({});
      if (disposed) {
        stopStream(got.stream);
        return;
      }
      stream = got.stream;
      if (got.problem !== undefined) {
        problem.hidden = false;
        problem.textContent = got.problem;
      }
      attach();
      await refreshDevices();
    })();

    return () => {
      disposed = true;
      stopMeter();
      stopCheck();
      navigator.mediaDevices?.removeEventListener('devicechange', refreshDevices);
      if (!handedOver) stopStream(stream);
    };
  };
}
