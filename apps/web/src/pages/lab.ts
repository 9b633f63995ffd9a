/**
 * `/lab`: the MediaStream API lab. `getUserMedia` first, then each button calls one
 * MediaStream method on that stream and prints what came back in the `Result` region.
 */
import { h, logo } from '../dom.ts';
import { navigate, type Screen } from '../router.ts';

function describeTrack(t: MediaStreamTrack): string {
  const label = t.label === '' ? '(no label)' : t.label;
  return `${t.kind} track “${label}” id ${t.id} — ${t.enabled ? 'enabled' : 'disabled'}, ${t.readyState}`;
}

function describeTracks(tracks: readonly MediaStreamTrack[]): string {
  if (tracks.length === 0) return '  (no tracks)';
  return tracks.map((t, i) => `  [${i}] ${describeTrack(t)}`).join('\n');
}

function describeStream(s: MediaStream): string {
  const kinds = s.getTracks().map((t) => t.kind);
  return `MediaStream ${s.id}: ${kinds.length} track(s) (${kinds.join(', ') || 'none'}), active: ${s.active ? 'yes' : 'no'}\n${describeTracks(s.getTracks())}`;
}

/** A moving canvas: a video track that needs no camera. */
function canvasTrack(): { track: MediaStreamTrack; stop: () => void } {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const ctx = canvas.getContext('2d');
  let frame = 0;
  const timer = window.setInterval(() => {
    if (ctx === null) return;
    frame++;
    ctx.fillStyle = '#1b1f24';
    ctx.fillRect(0, 0, 320, 180);
    ctx.fillStyle = '#4f8cff';
    ctx.beginPath();
    ctx.arc(160 + 100 * Math.sin(frame / 15), 90, 24, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#e8eaed';
    ctx.font = '16px system-ui, sans-serif';
    ctx.fillText(`canvas frame ${frame}`, 12, 24);
  }, 1000 / 15);
  const track = canvas.captureStream(15).getVideoTracks()[0] as MediaStreamTrack;
  return {
    track,
    stop: () => {
      window.clearInterval(timer);
      track.stop();
    },
  };
}

export const labScreen: Screen = (root) => {
  document.title = 'MediaStream API lab — itda';
  let stream: MediaStream | null = null;
  const extra: MediaStream[] = [];
  const added: MediaStreamTrack[] = [];
  const stoppers: (() => void)[] = [];
  let step = 0;

  const preview = h('video', { autoplay: true, playsinline: true, 'aria-label': 'Preview' });
  preview.muted = true;
  const log = h('pre', { class: 'lab-log' }, 'Press getUserMedia to start.');
  const result = h(
    'section',
    { class: 'card lab-result', role: 'region', 'aria-label': 'Result' },
    h('h2', {}, 'Result'),
    log,
  );
  const idInput = h('input', {
    id: 'track-id',
    type: 'text',
    placeholder: 'first track if empty',
    autocomplete: 'off',
  });

  const entries: string[] = [];
  const show = (call: string, text: string): void => {
    step++;
    entries.unshift(`#${step}  ${call}\n${text}`);
    if (entries.length > 30) entries.pop();
    log.textContent = entries.join('\n\n');
  };
  const needStream = (call: string): MediaStream | null => {
    if (stream === null) show(call, 'No stream yet: press getUserMedia first.');
    return stream;
  };
  const refreshPreview = (): void => {
    preview.srcObject = stream;
    preview.play().catch(() => undefined);
  };

  const actions: [string, () => void | Promise<void>][] = [
    [
      'getUserMedia',
      async () => {
        const call = 'navigator.mediaDevices.getUserMedia({ audio: true, video: true })';
        try {
          const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
          for (const t of stream?.getTracks() ?? []) t.stop();
          stream = s;
          refreshPreview();
          show(call, `→ ${describeStream(s)}`);
        } catch (err) {
          show(call, `→ rejected: ${(err as DOMException).name ?? 'failure'} — ${(err as Error).message ?? ''}`);
        }
      },
    ],
    [
      'getTracks',
      () => {
        const s = needStream('stream.getTracks()');
        if (s) show('stream.getTracks()', `→ ${s.getTracks().length} track(s)\n${describeTracks(s.getTracks())}`);
      },
    ],
    [
      'getAudioTracks',
      () => {
        const s = needStream('stream.getAudioTracks()');
        if (s)
          show(
            'stream.getAudioTracks()',
            `→ ${s.getAudioTracks().length} audio track(s)\n${describeTracks(s.getAudioTracks())}`,
          );
      },
    ],
    [
      'getVideoTracks',
      () => {
        const s = needStream('stream.getVideoTracks()');
        if (s)
          show(
            'stream.getVideoTracks()',
            `→ ${s.getVideoTracks().length} video track(s)\n${describeTracks(s.getVideoTracks())}`,
          );
      },
    ],
    [
      'getTrackById',
      () => {
        const s = needStream('stream.getTrackById(id)');
        if (!s) return;
        const id = idInput.value.trim() || s.getTracks()[0]?.id || '';
        const t = s.getTrackById(id);
        show(
          `stream.getTrackById('${id}')`,
          t === null ? '→ null (no track with that id in this stream)' : `→ ${describeTrack(t)}`,
        );
      },
    ],
    [
      'addTrack',
      () => {
        const s = needStream('stream.addTrack(track)');
        if (!s) return;
        const { track, stop } = canvasTrack();
        stoppers.push(stop);
        s.addTrack(track);
        added.push(track);
        refreshPreview();
        show(
          'stream.addTrack(canvas.captureStream().getVideoTracks()[0])',
          `→ added ${describeTrack(track)}\nnow ${describeStream(s)}`,
        );
      },
    ],
    [
      'removeTrack',
      () => {
        const s = needStream('stream.removeTrack(track)');
        if (!s) return;
        const track = added.pop() ?? s.getTracks().at(-1);
        if (track === undefined) {
          show('stream.removeTrack(track)', '→ nothing to remove: the stream has no tracks');
          return;
        }
        s.removeTrack(track);
        refreshPreview();
        show('stream.removeTrack(track)', `→ removed ${describeTrack(track)}\nnow ${describeStream(s)}`);
      },
    ],
    [
      'clone',
      () => {
        const s = needStream('stream.clone()');
        if (!s) return;
        const c = s.clone();
        extra.push(c);
        show(
          'stream.clone()',
          `→ new ${describeStream(c)}\n(original stream id ${s.id}; every track is cloned with a new id)`,
        );
      },
    ],
  ];

  const buttons = actions.map(([name, fn]) =>
    h(
      'button',
      { class: name === 'getUserMedia' ? 'btn primary' : 'btn', type: 'button', onclick: () => void fn() },
      name,
    ),
  );

  root.append(
    h(
      'main',
      { class: 'page lab' },
      h(
        'header',
        { class: 'topbar' },
        h(
          'a',
          {
            class: 'brand small',
            href: '/',
            onclick: (ev: Event) => {
              ev.preventDefault();
              navigate('/');
            },
          },
          logo(),
          'itda',
        ),
      ),
      h('h1', {}, 'MediaStream API lab'),
      h(
        'p',
        { class: 'muted' },
        'Open the camera and microphone, then call MediaStream methods on that stream and see what they return.',
      ),
      h(
        'div',
        { class: 'lab-grid' },
        h(
          'section',
          { class: 'card lab-controls', 'aria-label': 'Controls' },
          h('div', { class: 'video-wrap' }, preview),
          h('div', { class: 'lab-buttons' }, ...buttons),
          h('div', { class: 'field' }, h('label', { for: 'track-id' }, 'Track id for getTrackById'), idInput),
        ),
        result,
      ),
    ),
  );

  return () => {
    for (const stop of stoppers) stop();
    for (const s of [stream, ...extra]) for (const t of s?.getTracks() ?? []) t.stop();
    preview.srcObject = null;
  };
};
