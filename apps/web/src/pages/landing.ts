/**
 * `/`: join a room by name, or create one with a random name. What it says about rooms
 * (through the server or browser to browser, how many people, open or by invitation)
 * comes from the server's `/config.json`, so it is true in every mode.
 */
import { h, icon, logo } from '../dom.ts';
import { icons } from '../icons.ts';
import { normalizeRoomName, randomRoomName } from '../room-name.ts';
import { navigate, type Screen } from '../router.ts';
import { describeServer } from '../server-config.ts';

export const landingScreen: Screen = (root) => {
  document.title = 'itda — video calls';
  const input = h('input', {
    id: 'room-name',
    name: 'room',
    type: 'text',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    placeholder: 'e.g. team-standup',
    maxlength: 64,
    'aria-describedby': 'room-hint',
  });
  const hint = h('p', { id: 'room-hint', class: 'hint' }, 'Letters, digits, dot, dash, underscore or tilde.');
  const go = (name: string): void => navigate(`/r/${encodeURIComponent(name)}`);
  const lead = h(
    'p',
    { class: 'lead' },
    'Start a room, send the link, talk. Camera, microphone, screen sharing, chat and files, in the browser.',
  );
  const size = h('span', { class: 'room-size' });
  let disposed = false;
  void describeServer().then((config) => {
    if (disposed || config === undefined) return;
    const how = config.roomMode === 'sfu' ? 'through your own server' : 'straight from browser to browser';
    lead.textContent = `Start a room, send the link, talk. Camera, microphone, screen sharing, chat and files — ${how}, in the browser.`;
    size.textContent = ` · rooms hold up to ${config.roomCapacity} people${config.openRooms ? '' : ' · joining needs an invitation link'}`;
  });
  const form = h(
    'form',
    {
      class: 'join-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const name = normalizeRoomName(input.value);
        if (name === null) {
          hint.textContent = 'Use 1–64 letters, digits, dot, dash, underscore or tilde.';
          hint.classList.add('bad');
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        go(name);
      },
    },
    h('label', { for: 'room-name' }, 'Room name'),
    h('div', { class: 'row' }, input, h('button', { class: 'btn', type: 'submit' }, 'Join room')),
    hint,
  );
  root.append(
    h(
      'main',
      { class: 'page landing' },
      h('header', { class: 'brand' }, logo(), h('span', {}, 'itda')),
      h(
        'section',
        { class: 'hero' },
        h('h1', {}, 'Video calls that connect, on your own server.'),
        lead,
        h(
          'div',
          { class: 'card actions' },
          h(
            'button',
            { class: 'btn primary big', type: 'button', onclick: () => go(randomRoomName()) },
            icon(icons.plus),
            'Create room',
          ),
          h('div', { class: 'or', 'aria-hidden': 'true' }, h('span', {}, 'or')),
          form,
        ),
        h('p', { class: 'foot muted' }, h('a', { href: '/lab' }, 'MediaStream API lab'), size),
      ),
    ),
  );
  const lab = root.querySelector('a[href="/lab"]');
  lab?.addEventListener('click', (ev) => {
    ev.preventDefault();
    navigate('/lab');
  });
  return () => {
    disposed = true;
  };
};
