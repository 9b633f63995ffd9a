/**
 * The call: video grid, controls (`Mute`, `Camera`, `Share screen`, `Chat`, `Stats`,
 * `Copy link`, `Leave`), chat and stats panels, and a `role="status"` banner that says
 * `Reconnecting…` while the signaling connection is reconnecting.
 *
 * Test hook: `window.itda = { room }` — the current Room (see docs/client.md).
 */
import { type ClientError, isVideoCodec, type RemoteParticipant, Room, type VideoQuality } from '@itda/client';
import { ChatPanel } from '../call/chat-panel.ts';
import { PeoplePanel } from '../call/people-panel.ts';
import { StatsPanel } from '../call/stats-panel.ts';
import { TileGrid } from '../call/tiles.ts';
import { h, icon, logo } from '../dom.ts';
import { endOf, endState } from '../end-state.ts';
import { icons } from '../icons.ts';
import { forgetInvitation } from '../invitation.ts';
import { appLogger } from '../log.ts';
import { getTrack, stopStream } from '../media/devices.ts';
import { type Screen, show } from '../router.ts';
import type { CallSettings } from '../settings.ts';
import { leftScreen } from './left.ts';

declare global {
  interface Window {
    /** Test and debugging hook: the current Room. */
    itda?: { room: Room };
  }
}

function controlButton(label: string, svg: string, extra: Record<string, string> = {}): HTMLButtonElement {
  return h(
    'button',
    { class: 'ctl', type: 'button', title: label, ...extra },
    icon(svg),
    h('span', { class: 'label' }, label),
  );
}

export function callScreen(settings: CallSettings, initialStream: MediaStream | null): Screen {
  return (root) => {
    document.title = `${settings.room} — itda`;
    let stream = initialStream;
    let ended = false;
    // `?relay=1`: TURN relay candidates only (to try the TURN server; the e2e relay tests use it).
    const relayOnly = new URLSearchParams(location.search).get('relay') === '1';
    // `?codec=vp9` (vp8, vp9, h264, av1): the video codec sent in sfu rooms (the e2e codec tests use it).
    const codec = new URLSearchParams(location.search).get('codec');
    // `?simulcast=1`: in sfu rooms the camera goes out as simulcast layers (RoomOptions.simulcast).
    const simulcast = new URLSearchParams(location.search).get('simulcast') === '1';
    const room = new Room({
      logger: appLogger,
      ...(relayOnly ? { iceTransportPolicy: 'relay' } : {}),
      ...(isVideoCodec(codec) ? { videoCodec: codec } : {}),
      ...(simulcast ? { simulcast: true } : {}),
    });
    window.itda = { room };

    const grid = new TileGrid();
    // Each remote tile asks for the video quality its size needs (simulcast publishers in
    // sfu rooms; nothing changes otherwise): the full layer from 640 device pixels wide.
    const qualities = new Map<string, VideoQuality>();
    grid.onTileWidth = (id, width) => {
      const quality: VideoQuality = width >= 640 ? 'high' : width >= 320 ? 'medium' : 'low';
      if (qualities.get(id) === quality) return;
      qualities.set(id, quality);
      room.setVideoQuality(id, quality);
    };
    grid.setSpeakerId(settings.speakerId);
    const renderLocal = (): void =>
      grid.upsert('local', settings.name, room.localStream ?? stream, room.localParticipant.media, true);

    const banner = h('p', { class: 'banner', role: 'status' });
    const toast = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
    let toastTimer: number | undefined;
    const say = (text: string): void => {
      toast.textContent = text;
      toast.classList.add('show');
      window.clearTimeout(toastTimer);
      toastTimer = window.setTimeout(() => toast.classList.remove('show'), 2500);
    };

    const chat = new ChatPanel({
      onSend: (text) => {
        try {
          const m = room.sendChat(text);
          chat.addMessage(m.name, m.text, m.ts, true);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
      onFile: (file) => {
        try {
          const { done } = room.sendFile(file, file.name);
          done.catch(() => say(`Sending ${file.name} failed.`));
          return undefined;
        } catch (err) {
          const code = (err as ClientError).code;
          return code === 'file_too_large'
            ? 'That file is larger than 100 MiB.'
            : 'There is no one to send the file to yet.';
        }
      },
    });
    const stats = new StatsPanel(room);
    const people = new PeoplePanel(room);

    // ---- controls
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    const mute = controlButton('Mute', hasAudio ? icons.mic : icons.micOff, { 'aria-pressed': String(!hasAudio) });
    mute.disabled = !hasAudio;
    const camera = controlButton('Camera', icons.camera, { 'aria-pressed': 'false' });
    const share = controlButton('Share screen', icons.screen, { 'aria-pressed': 'false' });
    const chatBtn = controlButton('Chat', icons.chat, { 'aria-pressed': 'false', 'aria-controls': 'side-panel' });
    const unread = h('span', { class: 'dot', hidden: true, 'aria-hidden': 'true' });
    chatBtn.append(unread);
    const statsBtn = controlButton('Stats', icons.stats, { 'aria-pressed': 'false', 'aria-controls': 'side-panel' });
    const peopleBtn = controlButton('People', icons.people, { 'aria-pressed': 'false', 'aria-controls': 'side-panel' });
    const knocking = h('span', { class: 'dot', hidden: true, 'aria-hidden': 'true' });
    peopleBtn.append(knocking);
    const copy = controlButton('Copy link', icons.link);
    const leave = controlButton('Leave', icons.leave);
    leave.classList.add('danger');

    const setIcon = (btn: HTMLButtonElement, svg: string): void => {
      btn.querySelector('svg')?.replaceWith(icon(svg));
    };
    const syncButtons = (): void => {
      const media = room.localParticipant.media;
      const hasVideo = (room.localStream?.getVideoTracks().length ?? 0) > 0;
      // A host may hold a device off until they release it (moderated, forced).
      mute.disabled = !hasAudio || room.held.has('audio');
      camera.disabled = room.held.has('video');
      if (hasAudio) {
        mute.setAttribute('aria-pressed', String(!media.audio));
        setIcon(mute, media.audio ? icons.mic : icons.micOff);
      }
      camera.setAttribute('aria-pressed', String(!(media.video && hasVideo)));
      setIcon(camera, media.video && hasVideo ? icons.camera : icons.cameraOff);
      share.setAttribute('aria-pressed', String(room.screenStream !== null));
      renderLocal();
    };

    mute.addEventListener('click', () => {
      room.setMicrophoneEnabled(!room.localParticipant.media.audio);
      syncButtons();
    });

    let cameraBusy = false;
    camera.addEventListener('click', async () => {
      if (cameraBusy) return;
      cameraBusy = true;
      try {
        const on = room.localParticipant.media.video && (room.localStream?.getVideoTracks().length ?? 0) > 0;
        if (on) {
          await room.setCameraEnabled(false);
          // Release the device so its light goes off; a new track is opened to turn it on.
          for (const t of room.localStream?.getVideoTracks() ?? []) t.stop();
        } else {
          const track = await getTrack('video', settings.cameraId ?? '');
          if (track === undefined) throw new Error('no camera');
          if (ended) {
            track.stop();
            return;
          }
          const old = await room.replaceTrack(track);
          old?.stop();
          await room.setCameraEnabled(true);
          stream = room.localStream;
        }
      } catch {
        say('The camera could not be turned on.');
      } finally {
        cameraBusy = false;
        syncButtons();
      }
    });

    share.addEventListener('click', async () => {
      if (room.screenStream !== null) {
        room.stopScreenShare();
        grid.setScreen('local', settings.name, null);
        syncButtons();
        return;
      }
      try {
        const s = await room.startScreenShare();
        grid.setScreen('local', settings.name, s);
        s.getVideoTracks()[0]?.addEventListener('ended', () => {
          grid.setScreen('local', settings.name, null);
          syncButtons();
        });
      } catch {
        say('Screen sharing was cancelled.');
      }
      syncButtons();
    });

    // ---- side panel
    const panelTitle = h('h2', {}, '');
    const panelBody = h('div', { class: 'panel-content' });
    const closePanel = h(
      'button',
      { class: 'btn icon-only ghost', type: 'button', title: 'Close panel', onclick: () => openPanel(null) },
      icon(icons.close),
      h('span', { class: 'visually-hidden' }, 'Close panel'),
    );
    const panel = h(
      'aside',
      { class: 'panel', id: 'side-panel', hidden: true },
      h('header', {}, panelTitle, closePanel),
      panelBody,
    );
    let openName: 'chat' | 'stats' | 'people' | null = null;
    function openPanel(which: 'chat' | 'stats' | 'people' | null): void {
      openName = which;
      panel.hidden = which === null;
      chatBtn.setAttribute('aria-pressed', String(which === 'chat'));
      statsBtn.setAttribute('aria-pressed', String(which === 'stats'));
      peopleBtn.setAttribute('aria-pressed', String(which === 'people'));
      stage.classList.toggle('with-panel', which !== null);
      if (which === 'stats') stats.start();
      else stats.stop();
      if (which === 'chat') {
        unread.hidden = true;
        panelTitle.textContent = 'Chat';
        panelBody.replaceChildren(chat.el);
        chat.focus();
      } else if (which === 'stats') {
        panelTitle.textContent = 'Call stats';
        panelBody.replaceChildren(stats.el);
      } else if (which === 'people') {
        knocking.hidden = true;
        panelTitle.textContent = 'People';
        people.render();
        panelBody.replaceChildren(people.el);
      }
    }
    const refreshPeople = (): void => {
      if (openName === 'people') people.render();
    };
    peopleBtn.addEventListener('click', () => openPanel(openName === 'people' ? null : 'people'));
    chatBtn.addEventListener('click', () => openPanel(openName === 'chat' ? null : 'chat'));
    statsBtn.addEventListener('click', () => openPanel(openName === 'stats' ? null : 'stats'));

    copy.addEventListener('click', async () => {
      const url = `${location.origin}/r/${encodeURIComponent(settings.room)}`;
      try {
        await navigator.clipboard.writeText(url);
        say('Link copied');
      } catch {
        say(url);
      }
    });

    leave.addEventListener('click', () => {
      show(leftScreen(settings, endState('left')));
    });

    const count = h('span', { class: 'count' }, '1 person');
    const updateCount = (): void => {
      const n = room.participants.size + 1;
      count.textContent = n === 1 ? '1 person' : `${n} people`;
    };
    const stage = h('div', { class: 'stage' }, grid.el, panel);
    root.append(
      h(
        'div',
        { class: 'call' },
        h(
          'header',
          { class: 'topbar call-top' },
          h('span', { class: 'brand small' }, logo()),
          h('h1', { class: 'room-title' }, settings.room),
          count,
          banner,
        ),
        stage,
        h(
          'footer',
          { class: 'controls', 'aria-label': 'Call controls' },
          mute,
          camera,
          share,
          chatBtn,
          peopleBtn,
          statsBtn,
          copy,
          leave,
        ),
        toast,
      ),
    );
    renderLocal();
    syncButtons();

    // ---- room events
    const renderRemote = (p: RemoteParticipant): void => {
      if (room.participants.get(p.id) !== p) return;
      grid.upsert(p.id, p.name, p.cameraStream, p.media);
      grid.setSpeaking(p.id, p.speaking);
      grid.setScreen(p.id, p.name, p.screenStream);
    };
    room.on('participantJoined', (p) => {
      renderRemote(p);
      updateCount();
      refreshPeople();
    });
    // Moderation (docs/signaling.md): a host muted us, the room's lock or lobby changed, someone knocks.
    room.on('moderated', ({ action, kind, by, forced }) => {
      syncButtons();
      const device = kind === 'audio' ? 'microphone' : 'camera';
      if (action === 'release') say(`${by.name} let you turn your ${device} on again.`);
      else if (forced) say(`${by.name} turned off your ${device} until they allow it again.`);
      else say(`${by.name} turned off your ${device}. You can turn it on again.`);
    });
    room.on('roomStateChanged', (state, by) => {
      refreshPeople();
      chat.addSystem(
        `${by.name} ${state.locked ? 'locked the room' : 'unlocked the room'}${state.lobby ? '; newcomers wait to be let in' : ''}`,
      );
    });
    room.on('knock', (k) => {
      refreshPeople();
      if (openName !== 'people') knocking.hidden = false;
      say(`${k.name} wants to join`);
    });
    room.on('knockEnded', () => refreshPeople());
    room.on('lobby', () => {
      banner.textContent = 'Waiting to be let in…';
      banner.classList.add('show');
      banner.dataset.waiting = 'true';
    });
    room.on('participantUpdated', (p) => {
      renderRemote(p);
      refreshPeople();
    });
    room.on('speakingChanged', (id, speaking) =>
      grid.setSpeaking(id === room.localParticipant.id ? 'local' : id, speaking),
    );
    room.on('trackAdded', ({ participant }) => renderRemote(participant));
    room.on('trackRemoved', ({ participant }) => renderRemote(participant));
    room.on('participantLeft', (p, reason) => {
      grid.remove(p.id);
      updateCount();
      refreshPeople();
      if (reason !== 'rejoined') chat.addSystem(`${p.name} left`);
    });
    room.on('connectionStateChanged', (state) => {
      banner.textContent = state === 'reconnecting' ? 'Reconnecting…' : state === 'connecting' ? 'Connecting…' : '';
      banner.classList.toggle('show', state === 'reconnecting' || state === 'connecting');
    });
    room.on('chatMessage', (m) => {
      chat.addMessage(m.name, m.text, m.ts, false);
      if (openName !== 'chat') unread.hidden = false;
    });
    room.on('fileProgress', (f) => {
      const who = room.participants.get(f.participantId)?.name ?? 'Someone';
      chat.progress(f.id, f.participantId, f.direction, who, f.name, f.size, f.transferred);
      if (f.direction === 'receive' && openName !== 'chat') unread.hidden = false;
    });
    room.on('fileReceived', (f) => {
      const who = room.participants.get(f.from)?.name ?? 'Someone';
      chat.received(f.id, who, f.name, f.size, f.blob);
    });
    room.on('error', (err) => {
      const id = (err.details as { id?: string } | undefined)?.id;
      if (id !== undefined) chat.failed(id, 'Transfer failed');
    });
    room.on('disconnected', (err) => show(leftScreen(settings, endOf(err))));

    banner.textContent = 'Connecting…';
    banner.classList.add('show');
    room
      .join({
        room: settings.room,
        name: settings.name,
        localStream: stream,
        ...(settings.token === undefined ? {} : { token: settings.token }),
      })
      .then(() => {
        banner.textContent = '';
        banner.classList.remove('show');
        delete banner.dataset.waiting;
        chat.setMode(room.mode);
        syncButtons();
      })
      .catch((err: unknown) => {
        if (ended) return;
        const end = endOf(err);
        if (end.kind.startsWith('invitation_')) forgetInvitation(settings.room);
        show(leftScreen(settings, end));
      });

    return () => {
      ended = true;
      room.leave();
      room.removeAllListeners();
      stats.stop();
      chat.dispose();
      grid.clear();
      window.clearTimeout(toastTimer);
      stopStream(room.localStream);
      stopStream(stream);
    };
  };
}
