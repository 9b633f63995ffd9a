/**
 * The chat panel: a log (`role="log"`, named `Chat`), an input named `Message`
 * (Enter sends), a file input named `Send file`; transfers show a `<progress>` and a
 * received file becomes an `<a download>` link in the log.
 *
 * A received file is another participant's content: its link is a `blob:` URL of this
 * origin, so it must never render here (a `text/html` file opened in a new tab would run
 * its scripts with the app's storage). The link's Blob is always
 * `application/octet-stream` (the browser downloads it, even in a new tab) and carries
 * `download`; the server's Content-Security-Policy, which `blob:` documents inherit,
 * blocks scripts there as a second wall (docs/server.md, "Security headers").
 */
import { RECEIVED_BLOB_TYPE } from '@itda/client';
import { h, icon } from '../dom.ts';
import { icons } from '../icons.ts';

export interface ChatPanelHandlers {
  onSend(text: string): string | undefined;
  onFile(file: File): string | undefined;
}

interface Transfer {
  row: HTMLElement;
  bar: HTMLProgressElement;
  status: HTMLElement;
  parts: Map<string, number>;
  size: number;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class ChatPanel {
  readonly el: HTMLElement;
  readonly #log: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #notice: HTMLElement;
  readonly #transfers = new Map<string, Transfer>();
  readonly #urls: string[] = [];

  constructor(handlers: ChatPanelHandlers) {
    this.#log = h('div', { class: 'chat-log', role: 'log', 'aria-label': 'Chat', 'aria-live': 'polite' });
    this.#log.append(h('p', { class: 'empty muted' }, 'Messages and files go to the people in the call.'));
    this.#input = h('input', {
      type: 'text',
      'aria-label': 'Message',
      placeholder: 'Message',
      autocomplete: 'off',
      maxlength: 4000,
      enterkeyhint: 'send',
    });
    this.#notice = h('p', { class: 'notice', hidden: true });
    const fileInput = h('input', { type: 'file', 'aria-label': 'Send file', class: 'visually-hidden' });
    fileInput.addEventListener('change', () => {
      const file = fileInput.files?.[0];
      fileInput.value = '';
      if (file === undefined) return;
      this.#say(handlers.onFile(file));
    });
    const form = h(
      'form',
      {
        class: 'chat-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const text = this.#input.value;
          if (text.trim() === '') return;
          const problem = handlers.onSend(text);
          this.#say(problem);
          if (problem === undefined) this.#input.value = '';
        },
      },
      h('label', { class: 'btn icon-only file-btn', title: 'Send a file' }, icon(icons.file), fileInput),
      this.#input,
      h(
        'button',
        { class: 'btn icon-only primary', type: 'submit', title: 'Send' },
        icon(icons.send),
        h('span', { class: 'visually-hidden' }, 'Send'),
      ),
    );
    this.el = h('section', { class: 'panel-body chat', 'aria-label': 'Chat panel' }, this.#log, this.#notice, form);
  }

  focus(): void {
    this.#input.focus();
  }

  #say(problem: string | undefined): void {
    this.#notice.hidden = problem === undefined;
    this.#notice.textContent = problem ?? '';
  }

  #push(row: HTMLElement): void {
    this.#log.querySelector('.empty')?.remove();
    const nearBottom = this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 80;
    this.#log.append(row);
    if (nearBottom) this.#log.scrollTop = this.#log.scrollHeight;
  }

  addMessage(name: string, text: string, ts: number, own: boolean): void {
    this.#push(
      h(
        'div',
        { class: `msg${own ? ' own' : ''}` },
        h('div', { class: 'meta' }, h('span', { class: 'who' }, own ? 'You' : name), h('time', {}, time(ts))),
        h('div', { class: 'text' }, text),
      ),
    );
  }

  /** Says how messages travel, once the room's mode is known (sfu: through the server; p2p: browser to browser). */
  setMode(mode: string): void {
    const empty = this.#log.querySelector('.empty');
    if (empty === null) return;
    empty.textContent =
      mode === 'sfu'
        ? 'Messages and files go through this meeting’s server to the people in the call.'
        : 'Messages and files go straight from your browser to the people in the call.';
  }

  addSystem(text: string): void {
    this.#push(h('div', { class: 'msg system' }, text));
  }

  /** Shows or advances a transfer (one row per transfer id, summed over recipients). */
  progress(
    id: string,
    peer: string,
    direction: 'send' | 'receive',
    who: string,
    name: string,
    size: number,
    done: number,
  ): void {
    let t = this.#transfers.get(id);
    if (t === undefined) {
      const bar = h('progress', { max: Math.max(1, size), value: 0, 'aria-label': `${name} progress` });
      const status = h('span', { class: 'status' });
      const row = h(
        'div',
        { class: `msg file${direction === 'send' ? ' own' : ''}` },
        h('div', { class: 'meta' }, h('span', { class: 'who' }, direction === 'send' ? 'You' : who)),
        h(
          'div',
          { class: 'file-name' },
          icon(icons.file),
          h('span', {}, name),
          h('span', { class: 'size muted' }, formatBytes(size)),
        ),
        bar,
        status,
      );
      t = { row, bar, status, parts: new Map(), size };
      this.#transfers.set(id, t);
      this.#push(row);
    }
    t.parts.set(peer, done);
    const total = t.size * t.parts.size;
    const sum = [...t.parts.values()].reduce((a, b) => a + b, 0);
    t.bar.max = Math.max(1, total);
    t.bar.value = sum;
    const pct = total === 0 ? 100 : Math.floor((sum / total) * 100);
    t.status.textContent = direction === 'send' ? (pct >= 100 ? 'Sent' : `Sending… ${pct}%`) : `Receiving… ${pct}%`;
  }

  /** Replaces the transfer row with a download link (the bytes typed `application/octet-stream`, whatever `blob.type` says). */
  received(id: string, who: string, name: string, size: number, blob: Blob): void {
    // slice() with a type re-labels without copying the bytes.
    const bytes = blob.type === RECEIVED_BLOB_TYPE ? blob : blob.slice(0, blob.size, RECEIVED_BLOB_TYPE);
    const url = URL.createObjectURL(bytes);
    this.#urls.push(url);
    const link = h(
      'a',
      { href: url, download: name, type: RECEIVED_BLOB_TYPE, rel: 'noopener noreferrer', class: 'download' },
      icon(icons.file),
      h('span', {}, name),
    );
    const row = h(
      'div',
      { class: 'msg file' },
      h('div', { class: 'meta' }, h('span', { class: 'who' }, who)),
      h('div', { class: 'file-name' }, link, h('span', { class: 'size muted' }, formatBytes(size))),
    );
    const t = this.#transfers.get(id);
    this.#transfers.delete(id);
    if (t !== undefined) t.row.replaceWith(row);
    else this.#push(row);
  }

  failed(id: string, text: string): void {
    const t = this.#transfers.get(id);
    if (t === undefined) return;
    t.status.textContent = text;
    t.row.classList.add('failed');
    this.#transfers.delete(id);
  }

  dispose(): void {
    for (const url of this.#urls) URL.revokeObjectURL(url);
  }
}
