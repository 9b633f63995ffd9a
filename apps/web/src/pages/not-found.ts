import { h } from '../dom.ts';
import { navigate, type Screen } from '../router.ts';

export const notFoundScreen: Screen = (root) => {
  root.append(
    h(
      'main',
      { class: 'page center' },
      h(
        'section',
        { class: 'card narrow' },
        h('h1', {}, 'Page not found'),
        h('p', { class: 'muted' }, 'There is nothing at this address.'),
        h('button', { class: 'btn primary', type: 'button', onclick: () => navigate('/') }, 'Go to the start page'),
      ),
    ),
  );
  return undefined;
};
