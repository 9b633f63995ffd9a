/**
 * The video grid. Each participant has one tile, `data-participant-id="<id>"` (the
 * local one `local`), with a `<video>` and the name; a screen share gets a tile of its
 * own, `data-screen-of="<id>"`, so a participant tile always holds exactly one video.
 * `onTileWidth` hears each remote tile's width in device pixels when it changes (the
 * call page turns it into the video quality it asks the SFU for). A participant who is
 * speaking has its tile highlighted and `data-speaking="true"` (else "false").
 */
import type { MediaState } from '@itda/protocol';
import { h, icon, play } from '../dom.ts';
import { icons } from '../icons.ts';
import { setSpeaker } from '../media/devices.ts';

interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  name: HTMLElement;
  avatar: HTMLElement;
  micOff: HTMLElement;
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts.at(-1)] : [parts[0] ?? '?'];
  return letters.map((p) => [...(p ?? '?')][0]?.toUpperCase() ?? '?').join('');
}

export class TileGrid {
  readonly el: HTMLElement;
  readonly #people: HTMLElement;
  readonly #screenArea: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  readonly #screens = new Map<string, { el: HTMLElement; video: HTMLVideoElement }>();
  #speakerId: string | undefined;
  /** A remote participant tile's width in device pixels, when it changes. */
  onTileWidth: ((id: string, width: number) => void) | undefined;
  readonly #resize =
    typeof ResizeObserver === 'undefined'
      ? undefined
      : new ResizeObserver((entries) => {
          for (const e of entries) {
            const id = (e.target as HTMLElement).dataset.participantId;
            if (id !== undefined && id !== 'local') {
              this.onTileWidth?.(id, Math.round(e.contentRect.width * (globalThis.devicePixelRatio || 1)));
            }
          }
        });

  constructor() {
    this.#screenArea = h('div', { class: 'screens', hidden: true });
    this.#people = h('div', { class: 'people' });
    this.el = h('section', { class: 'grid', 'aria-label': 'Participants' }, this.#screenArea, this.#people);
  }

  #make(id: string, name: string, local: boolean): Tile {
    const video = h('video', { autoplay: true, playsinline: true, class: local ? 'mirror' : '' });
    video.muted = local;
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, h('span', {}, initials(name)));
    const micOff = h('span', { class: 'badge mic-off', title: 'Microphone muted', hidden: true }, icon(icons.micOff));
    micOff.append(h('span', { class: 'visually-hidden' }, 'muted'));
    const nameEl = h('span', { class: 'name' }, local ? `${name} (you)` : name);
    const el = h(
      'figure',
      { class: `tile${local ? ' local' : ''}`, 'data-participant-id': id, 'data-speaking': 'false' },
      video,
      avatar,
      h('figcaption', {}, micOff, nameEl),
    );
    const tile = { el, video, name: nameEl, avatar, micOff };
    this.#tiles.set(id, tile);
    this.#people.append(el);
    if (!local) this.#resize?.observe(el);
    this.#layout();
    return tile;
  }

  /** Shows or updates a participant's tile. */
  upsert(id: string, name: string, stream: MediaStream | null, media: MediaState, local = false): void {
    const tile = this.#tiles.get(id) ?? this.#make(id, name, local);
    tile.name.textContent = local ? `${name} (you)` : name;
    const initialsEl = tile.avatar.firstElementChild;
    if (initialsEl !== null) initialsEl.textContent = initials(name);
    if (tile.video.srcObject !== stream) {
      tile.video.srcObject = stream;
      if (!local) setSpeaker(tile.video, this.#speakerId);
      if (stream !== null) play(tile.video);
    }
    const hasVideo = media.video && stream !== null && stream.getVideoTracks().length > 0;
    tile.el.classList.toggle('video-off', !hasVideo);
    tile.micOff.hidden = media.audio;
  }

  /** Marks `id`'s tile (`local` for oneself) as speaking or not. */
  setSpeaking(id: string, speaking: boolean): void {
    const tile = this.#tiles.get(id);
    if (tile === undefined) return;
    tile.el.dataset.speaking = String(speaking);
    tile.el.classList.toggle('speaking', speaking);
  }

  remove(id: string): void {
    const tile = this.#tiles.get(id);
    if (tile !== undefined) {
      tile.video.srcObject = null;
      this.#resize?.unobserve(tile.el);
      tile.el.remove();
      this.#tiles.delete(id);
    }
    this.setScreen(id, '', null);
    this.#layout();
  }

  /** Shows (stream) or removes (null) the screen-share tile of `id`. */
  setScreen(id: string, name: string, stream: MediaStream | null): void {
    const existing = this.#screens.get(id);
    if (stream === null) {
      if (existing !== undefined) {
        existing.video.srcObject = null;
        existing.el.remove();
        this.#screens.delete(id);
        this.#layout();
      }
      return;
    }
    if (existing !== undefined) {
      if (existing.video.srcObject !== stream) existing.video.srcObject = stream;
      return;
    }
    const video = h('video', { autoplay: true, playsinline: true });
    video.muted = true;
    video.srcObject = stream;
    play(video);
    const el = h(
      'figure',
      { class: 'tile screen', 'data-screen-of': id },
      video,
      h('figcaption', {}, h('span', { class: 'name' }, id === 'local' ? 'Your screen' : `${name}’s screen`)),
    );
    this.#screens.set(id, { el, video });
    this.#screenArea.append(el);
    this.#layout();
  }

  /** Routes remote audio to the chosen output device (setSinkId). */
  setSpeakerId(speakerId: string | undefined): void {
    this.#speakerId = speakerId;
    for (const [id, t] of this.#tiles) if (id !== 'local') setSpeaker(t.video, speakerId);
  }

  #layout(): void {
    this.#people.dataset.count = String(Math.min(this.#tiles.size, 9));
    this.#screenArea.hidden = this.#screens.size === 0;
    this.el.classList.toggle('has-screen', this.#screens.size > 0);
  }

  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }
}
