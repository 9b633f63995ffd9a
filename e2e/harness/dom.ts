/**
 * In-page recorders. A condition that is true only for a moment (a `Reconnecting…`
 * banner during a fast resume, a `<progress>` during a quick transfer, a tile removed
 * and re-added) is missed by polling; a MutationObserver installed beforehand records
 * it when it happens. Recordings live in `globalThis.__itdaE2e` of the page, and are
 * lost when the page navigates.
 */
import type { Page } from 'playwright-core';

// ---- structural types of what the page code touches (the node program has no DOM types)
interface ElementLike {
  nodeType: number;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(css: string): ArrayLike<ElementLike>;
  closest(css: string): ElementLike | null;
}
interface DocLike {
  body: ElementLike;
  documentElement: ElementLike & { scrollWidth: number; clientWidth: number };
  querySelectorAll(css: string): ArrayLike<ElementLike>;
  addEventListener(type: string, fn: (e: { target: unknown }) => void, capture: boolean): void;
}
interface MutationRecordLike {
  removedNodes: ArrayLike<ElementLike>;
}
type MutationObserverCtor = new (
  cb: (records: MutationRecordLike[]) => void,
) => { observe(target: unknown, options: Record<string, boolean>): void };
interface Recorder {
  seen: Record<string, number>;
  removedTiles: { id: string; at: number }[];
  joinClickAt?: number;
}
interface PageGlobals {
  document: DocLike;
  MutationObserver: MutationObserverCtor;
  __itdaE2e?: Recorder;
}

/**
 * Records, from now on, the first time an element matching `css` (and containing
 * `text`, if given) is in the document, under `key`. Read with {@link seenAt}.
 */
export async function watchFor(page: Page, key: string, css: string, text?: string): Promise<void> {
  await page.evaluate(
    ({ key, css, text }) => {
      const g = globalThis as unknown as PageGlobals;
      g.__itdaE2e ??= { seen: {}, removedTiles: [] };
      const rec = g.__itdaE2e;
      const check = (): void => {
        if (rec.seen[key] !== undefined) return;
        const found = Array.from(g.document.querySelectorAll(css)).some(
          (el) => text === null || (el.textContent ?? '').includes(text),
        );
        if (found) rec.seen[key] = performance.now();
      };
      new g.MutationObserver(check).observe(g.document.body, {
        childList: true,
        subtree: true,
        characterData: true,
        attributes: true,
      });
      check();
    },
    { key, css, text: text ?? null },
  );
}

/** When `key`'s element was first seen (page `performance.now()`), or undefined. */
export function seenAt(page: Page, key: string): Promise<number | undefined> {
  return page.evaluate((key) => (globalThis as unknown as PageGlobals).__itdaE2e?.seen[key], key);
}

/** Records every participant tile (`[data-participant-id]`) removed from the document from now on. */
export async function watchTileRemovals(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.__itdaE2e ??= { seen: {}, removedTiles: [] };
    const rec = g.__itdaE2e;
    new g.MutationObserver((records) => {
      for (const r of records) {
        for (const node of Array.from(r.removedNodes)) {
          if (node.nodeType !== 1) continue;
          const tiles = [node, ...Array.from(node.querySelectorAll('[data-participant-id]'))];
          for (const el of tiles) {
            const id = el.getAttribute('data-participant-id');
            if (id !== null) rec.removedTiles.push({ id, at: performance.now() });
          }
        }
      }
    }).observe(g.document.body, { childList: true, subtree: true });
  });
}

/** Participant ids whose tiles were removed since {@link watchTileRemovals}. */
export function removedTiles(page: Page): Promise<string[]> {
  return page.evaluate(() => ((globalThis as unknown as PageGlobals).__itdaE2e?.removedTiles ?? []).map((t) => t.id));
}

/** Horizontal overflow of the page in CSS pixels (0 when nothing sticks out). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as PageGlobals).document.documentElement;
    return Math.max(0, el.scrollWidth - el.clientWidth);
  });
}

/** Remembers (page clock) the moment of the next click on a button named exactly `name`. */
export async function recordNextClick(page: Page, name: string): Promise<void> {
  await page.evaluate((name) => {
    const g = globalThis as unknown as PageGlobals;
    g.__itdaE2e ??= { seen: {}, removedTiles: [] };
    const rec = g.__itdaE2e;
    delete rec.joinClickAt;
    g.document.addEventListener(
      'click',
      (e) => {
        const target = e.target as ElementLike | null;
        const button = typeof target?.closest === 'function' ? target.closest('button') : null;
        if (button !== null && rec.joinClickAt === undefined && (button.textContent ?? '').trim() === name) {
          rec.joinClickAt = performance.now();
        }
      },
      true,
    );
  }, name);
}

/**
 * Milliseconds from the click recorded by {@link recordNextClick} to the first moment a
 * remote participant's inbound video has `framesDecoded > 0`, polled in the page every
 * 20 ms for at most `timeoutMs`.
 */
export function timeToFirstRemoteFrame(page: Page, timeoutMs = 20_000): Promise<number> {
  return page.evaluate(async (timeoutMs) => {
    interface Stats {
      forEach(cb: (s: Record<string, unknown>) => void): void;
    }
    type Remote = { pc?: { getStats(): Promise<Stats> } | null };
    const g = globalThis as unknown as PageGlobals & {
      itda?: { room?: { participants?: Map<unknown, Remote> | Iterable<Remote> } };
    };
    const start = performance.now();
    for (let i = 0; i < Math.ceil(timeoutMs / 20); i++) {
      const raw = g.itda?.room?.participants;
      const list: Remote[] = raw instanceof Map ? [...raw.values()] : raw ? Array.from(raw) : [];
      for (const p of list) {
        if (!p.pc) continue;
        let frames = 0;
        (await p.pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames += Number(s.framesDecoded ?? 0);
        });
        if (frames > 0) {
          const clickAt = g.__itdaE2e?.joinClickAt;
          if (clickAt === undefined) throw new Error('the Join click was not recorded');
          return performance.now() - clickAt;
        }
      }
      if (performance.now() - start > timeoutMs) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no remote video frame decoded within ${timeoutMs} ms`);
  }, timeoutMs);
}
