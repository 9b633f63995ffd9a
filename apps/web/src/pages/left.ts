/**
 * After `Leave`, a call that ended, or a join that could not happen: a heading that says
 * which (end-state.ts), `Rejoin` where it makes sense, and a way home. The page's
 * `data-end` attribute names the end state (tests rely on it).
 */
import { h } from '../dom.ts';
import type { EndState } from '../end-state.ts';
import { getLocalMedia } from '../media/devices.ts';
import { navigate, type Screen, show } from '../router.ts';
import type { CallSettings } from '../settings.ts';
import { callScreen } from './call.ts';

export function leftScreen(settings: CallSettings, end: EndState): Screen {
  return (root) => {
    document.title = `${end.heading} — itda`;
    let disposed = false;
    const rejoin = h('button', { class: 'btn primary big', type: 'button' }, 'Rejoin');
    rejoin.addEventListener('click', async () => {
      rejoin.disabled = true;
      const { stream } = await getLocalMedia(settings);
      if (disposed) {
        for (const t of stream?.getTracks() ?? []) t.stop();
        return;
      }
      show(callScreen(settings, stream));
    });
    root.append(
      h(
        'main',
        { class: 'page center' },
        h(
          'section',
          { class: 'card narrow left', 'data-end': end.kind },
          h('h1', {}, end.heading),
          h('p', { class: 'muted' }, end.text === '' ? `Room ${settings.room}` : end.text),
          h(
            'div',
            { class: 'row' },
            ...(end.canRejoin ? [rejoin] : []),
            h(
              'a',
              {
                class: 'btn',
                href: '/',
                onclick: (ev: Event) => {
                  ev.preventDefault();
                  navigate('/');
                },
              },
              'Back to start',
            ),
          ),
        ),
      ),
    );
    return () => {
      disposed = true;
    };
  };
}
