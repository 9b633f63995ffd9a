/**
 * Client-side routing by `location.pathname` (the server returns the same index.html for
 * `/`, `/r/<room>` and `/lab`). One screen is shown at a time; showing another disposes
 * the previous one (stops its media, leaves its room, clears its timers).
 */
export type Screen = (root: HTMLElement) => (() => void) | undefined;

let root: HTMLElement | undefined;
let dispose: (() => void) | undefined;
let resolve: ((path: string) => Screen) | undefined;

/** Replaces the current screen. */
export function show(screen: Screen): void {
  if (root === undefined) return;
  const previous = dispose;
  dispose = undefined;
  previous?.();
  root.replaceChildren();
  window.scrollTo(0, 0);
  dispose = screen(root);
}

/** Goes to `path` (pushState) and shows its screen. */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  render();
}

function render(): void {
  if (resolve === undefined) return;
  show(resolve(location.pathname));
}

export function startRouter(el: HTMLElement, resolver: (path: string) => Screen): void {
  root = el;
  resolve = resolver;
  window.addEventListener('popstate', render);
  // An invitation link opened in a tab already on its room changes only the fragment: show it afresh.
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(location.hash.slice(1)).has('token')) render();
  });
  render();
}
