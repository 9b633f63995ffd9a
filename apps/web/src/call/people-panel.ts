/**
 * The people panel (`aria-label="People"`): everyone in the call, hosts marked; for a
 * host, per person `Mute`, `Keep muted` (forced until `Allow mic`), `Stop camera` and
 * `Remove` (each labelled with the name), the
 * room's `Lock room` and `Lobby` switches (`aria-pressed`), and who waits to be let in
 * with `Admit` / `Deny`. Actions go to `room.moderate` (docs/signaling.md "Moderation").
 */
import type { Room } from '@itda/client';
import { h } from '../dom.ts';

export class PeoplePanel {
  readonly el: HTMLElement;
  readonly #room: Room;
  readonly #list: HTMLElement;
  readonly #hostTools: HTMLElement;
  readonly #knocks: HTMLElement;

  constructor(room: Room) {
    this.#room = room;
    this.#list = h('ul', { class: 'people-list', 'aria-label': 'In the call' });
    this.#hostTools = h('div', { class: 'host-tools', hidden: true });
    this.#knocks = h('section', { class: 'knocks', 'aria-label': 'Waiting to be let in', hidden: true });
    this.el = h(
      'section',
      { class: 'panel-body people', 'aria-label': 'People' },
      this.#hostTools,
      this.#knocks,
      this.#list,
    );
  }

  /** Draws the panel from the room as it is now. */
  render(): void {
    const room = this.#room;
    const host = room.isHost;
    const act = (label: string, onClick: () => void, extra: Record<string, string> = {}): HTMLButtonElement => {
      const b = h('button', { class: 'btn small', type: 'button', ...extra }, label);
      b.addEventListener('click', onClick);
      return b;
    };
    const you = h(
      'li',
      { class: 'person' },
      h('span', { class: 'person-name' }, `${room.localParticipant.name} (you)`),
      ...(host ? [h('span', { class: 'badge' }, 'Host')] : []),
    );
    const others = [...room.participants.values()].map((p) =>
      h(
        'li',
        { class: 'person', 'data-participant-id': p.id },
        h('span', { class: 'person-name' }, p.name),
        ...(p.host ? [h('span', { class: 'badge' }, 'Host')] : []),
        ...(host
          ? [
              act('Mute', () => room.moderate({ action: 'mute', participantId: p.id, kind: 'audio' }), {
                'aria-label': `Mute ${p.name}`,
              }),
              p.held.includes('audio')
                ? act('Allow mic', () => room.moderate({ action: 'release', participantId: p.id, kind: 'audio' }), {
                    'aria-label': `Allow ${p.name}'s microphone`,
                  })
                : act(
                    'Keep muted',
                    () => room.moderate({ action: 'mute', participantId: p.id, kind: 'audio', force: true }),
                    { 'aria-label': `Keep ${p.name} muted` },
                  ),
              act('Stop camera', () => room.moderate({ action: 'mute', participantId: p.id, kind: 'video' }), {
                'aria-label': `Stop ${p.name}'s camera`,
              }),
              act('Remove', () => room.moderate({ action: 'remove', participantId: p.id }), {
                'aria-label': `Remove ${p.name}`,
                class: 'btn small danger',
              }),
            ]
          : []),
      ),
    );
    this.#list.replaceChildren(you, ...others);

    this.#hostTools.hidden = !host;
    if (host) {
      const { locked, lobby } = room.roomState;
      this.#hostTools.replaceChildren(
        act('Lock room', () => room.moderate({ action: locked ? 'unlock' : 'lock' }), {
          'aria-pressed': String(locked),
        }),
        act('Lobby', () => room.moderate({ action: lobby ? 'lobby-off' : 'lobby-on' }), {
          'aria-pressed': String(lobby),
        }),
      );
    }
    const knocks = [...room.knocks.values()];
    this.#knocks.hidden = !host || knocks.length === 0;
    this.#knocks.replaceChildren(
      h('h3', {}, 'Waiting to be let in'),
      ...knocks.map((k) =>
        h(
          'div',
          { class: 'knock', 'data-knock-id': k.id },
          h('span', { class: 'person-name' }, k.name),
          act('Admit', () => room.moderate({ action: 'admit', participantId: k.id }), {
            'aria-label': `Admit ${k.name}`,
          }),
          act('Deny', () => room.moderate({ action: 'deny', participantId: k.id }), { 'aria-label': `Deny ${k.name}` }),
        ),
      ),
    );
  }
}
