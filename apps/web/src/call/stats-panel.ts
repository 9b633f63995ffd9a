/**
 * The stats panel (`aria-label="Stats"`): the room mode and this page's peer connection
 * count (`.stats-mode`, `data-room-mode`, `data-peer-connections`), then per remote
 * participant, refreshed every second while open.
 */
import { formatBitrate, type LinkStats, type Room } from '@itda/client';
import { h } from '../dom.ts';

function ms(v: number | null): string {
  return v === null ? '—' : `${Math.round(v)} ms`;
}
function pct(v: number | null): string {
  return v === null ? '—' : `${v.toFixed(1)} %`;
}
function candidates(s: LinkStats): string {
  if (s.localCandidateType === null) return 'not connected';
  const local = `${s.localCandidateType}${s.protocol ? `/${s.protocol}` : ''}${s.relayProtocol ? ` via ${s.relayProtocol}` : ''}`;
  return `${local} ↔ ${s.remoteCandidateType ?? '?'}`;
}

export class StatsPanel {
  readonly el: HTMLElement;
  readonly #room: Room;
  readonly #body: HTMLElement;
  readonly #mode: HTMLElement;
  #timer: number | undefined;

  constructor(room: Room) {
    this.#room = room;
    this.#body = h('div', { class: 'stats-list' });
    this.#mode = h('p', { class: 'stats-mode muted' });
    this.el = h('section', { class: 'panel-body stats', 'aria-label': 'Stats' }, this.#mode, this.#body);
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.#refresh();
    this.#timer = window.setInterval(() => void this.#refresh(), 1000);
  }

  stop(): void {
    if (this.#timer !== undefined) window.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #renderMode(): void {
    const mode = this.#room.mode;
    const pcs = this.#room.peerConnections.length;
    this.#mode.dataset.roomMode = mode;
    this.#mode.dataset.peerConnections = String(pcs);
    const how = mode === 'sfu' ? 'SFU (through the server)' : mode === 'p2p' ? 'peer-to-peer' : mode;
    this.#mode.textContent = `Room mode: ${how} · ${pcs} connection${pcs === 1 ? '' : 's'}`;
  }

  async #refresh(): Promise<void> {
    this.#renderMode();
    const rows: HTMLElement[] = [];
    for (const p of this.#room.participants.values()) {
      let s: LinkStats | undefined;
      try {
        s = await this.#room.getStats(p.id);
      } catch {
        s = undefined;
      }
      if (s === undefined) continue;
      const item = (label: string, value: string): HTMLElement[] => [h('dt', {}, label), h('dd', {}, value)];
      rows.push(
        h(
          'article',
          { class: 'stats-card', 'data-participant-id-stats': p.id },
          h('h3', {}, p.name, h('span', { class: `state ${p.connectionState}` }, p.connectionState)),
          h(
            'dl',
            {},
            ...item('Bitrate in', formatBitrate(s.inboundBitrate)),
            ...item('Bitrate out', formatBitrate(s.outboundBitrate)),
            ...item('Packet loss', pct(s.packetLossPercent)),
            ...item('RTT', ms(s.rttMs)),
            ...item('Jitter', ms(s.jitterMs)),
            ...item('Candidates', candidates(s)),
          ),
        ),
      );
    }
    if (rows.length === 0) rows.push(h('p', { class: 'muted' }, 'No one else is here yet.'));
    this.#body.replaceChildren(...rows);
  }
}
