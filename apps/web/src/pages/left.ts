/** After `Leave` (or a lost call): a `Rejoin` button and a way home. */
import { h } from '../dom.ts';
import { getLocalMedia } from '../media/devices.ts';
import { navigate, type Screen, show } from '../router.ts';
import type { CallSettings } from '../settings.ts';
import { callScreen } from './call.ts';

export function leftScreen(settings: CallSettings, info: { left?: boolean; message?: string }): Screen {
  return (root) => {
    document.title = `Left ${settings.room} — itda`;
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
          { class: 'card narrow left' },
          h('h1', {}, info.left === true ? 'You left the call' : 'The call ended'),
          h('p', { class: 'muted' }, info.message ?? `Room ${settings.room}`),
          h(
            'div',
            { class: 'row' },
            rejoin,
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
