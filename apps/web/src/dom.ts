/**
 * A tiny element builder: `h('button', { class: 'btn', onclick: fn }, 'Join')`.
 * Attributes: `class`, `on<event>` listeners, booleans (true → present, false → absent),
 * everything else set with setAttribute.
 */
import { logoPaths } from './icons.ts';

type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);
export type Attrs = Record<string, AttrValue>;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** An inline SVG icon from `icons.ts`, hidden from assistive technology. */
export function icon(paths: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  svg.innerHTML = paths;
  return svg;
}

/** Plays a media element, ignoring the rejection a replaced srcObject causes. */
export function play(media: HTMLMediaElement): void {
  media.play().catch(() => undefined);
}

/** The itda mark, decorative. */
export function logo(): HTMLElement {
  return h('span', { class: 'logo', 'aria-hidden': 'true' }, icon(logoPaths));
}
