/**
 * What a person does in the web app, through its accessible names (the UI contract in
 * docs/testing.md): join a room, chat, send a file, leave and rejoin.
 */
import type { Locator, Page } from 'playwright-core';
import { recordNextClick } from './dom.ts';

/** A room name no other test uses: `e2e-<label>-<random>`. */
export function uniqueRoom(label: string): string {
  return `e2e-${label}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The page's button named exactly `name`. */
export function button(page: Page, name: string): Locator {
  return page.getByRole('button', { name, exact: true });
}

/**
 * Opens `/r/<room>`, types `name` as display name, clicks `Join` and waits for the
 * local tile and for the SDK to be joined (the server's `joined` applied: the participant
 * id, the room mode and, in an sfu room, its two peer connections are set). The local tile
 * shows before `joined` arrives, so a test that reads the room right after the tile could
 * see the defaults. `query` (e.g. `codec=vp9`) goes into the room URL. The click is
 * recorded for {@link timeToFirstRemoteFrame}.
 */
export async function join(page: Page, baseUrl: string, room: string, name: string, query = ''): Promise<void> {
  await page.goto(`${baseUrl}/r/${encodeURIComponent(room)}${query === '' ? '' : `?${query}`}`);
  const joinButton = button(page, 'Join');
  await joinButton.waitFor();
  await page.getByLabel('Display name', { exact: true }).fill(name);
  await recordNextClick(page, 'Join');
  await joinButton.click();
  await page.locator('[data-participant-id="local"]').waitFor();
  await waitForJoined(page);
}

/** Waits (30 s at most: a busy two-core machine) until the page's Room has its participant id from `joined`. */
export async function waitForJoined(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      type RoomLike = { localParticipant?: { id?: unknown } };
      const id = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room?.localParticipant?.id;
      return typeof id === 'string' && id !== '';
    },
    undefined,
    { timeout: timeoutMs, polling: 50 },
  );
}

/** The tile of participant `id` (`local` for oneself). */
export function tile(page: Page, id: string): Locator {
  return page.locator(`[data-participant-id="${id}"]`);
}

/** The chat log (`role=log`, named `Chat`). */
export function chatLog(page: Page): Locator {
  return page.getByRole('log', { name: 'Chat', exact: true });
}

/** Opens the chat panel unless its `Message` input is already shown. */
export async function openChat(page: Page): Promise<void> {
  const input = page.getByLabel('Message', { exact: true });
  if (await input.isVisible()) return;
  await button(page, 'Chat').click();
  await input.waitFor();
}

/** Sends a chat message: types it into `Message` and presses Enter. */
export async function sendChat(page: Page, text: string): Promise<void> {
  await openChat(page);
  const input = page.getByLabel('Message', { exact: true });
  await input.fill(text);
  await input.press('Enter');
}

/** Waits until the chat log shows `text`. */
export async function waitForChat(page: Page, text: string, timeoutMs = 10_000): Promise<void> {
  await openChat(page);
  await chatLog(page).getByText(text).first().waitFor({ timeout: timeoutMs });
}

/** Sends `data` as file `name` through the `Send file` input. */
export async function sendFile(page: Page, name: string, data: Buffer): Promise<void> {
  await openChat(page);
  await page
    .getByLabel('Send file', { exact: true })
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: data });
}

/**
 * Waits for the received file `name` (an `<a download>` in the chat log), fetches its
 * blob in the page and returns the bytes' SHA-256, hex, and their length.
 */
export async function receivedFileDigest(
  page: Page,
  name: string,
  timeoutMs = 30_000,
): Promise<{ sha256: string; size: number }> {
  await openChat(page);
  const link = chatLog(page).locator(`a[download="${name}"]`).first();
  await link.waitFor({ timeout: timeoutMs });
  return link.evaluate(async (a) => {
    const href = (a as unknown as { href: string }).href;
    const bytes = await (await fetch(href)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return { sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''), size: bytes.byteLength };
  });
}

/**
 * The participant id the SDK was given for this page, if the Room exposes it under one
 * of the usual names (`localParticipant.id`, `participantId`, `localId`).
 */
export function localParticipantId(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    type RoomLike = { localParticipant?: { id?: unknown }; participantId?: unknown; localId?: unknown };
    const room = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room;
    const id = room?.localParticipant?.id ?? room?.participantId ?? room?.localId;
    return typeof id === 'string' && id !== '' ? id : undefined;
  });
}

/** The SDK's signaling connection state (`room.connectionState`), or undefined without a Room. */
export function connectionState(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const room = (globalThis as unknown as { itda?: { room?: { connectionState?: unknown } } }).itda?.room;
    return room === undefined ? undefined : String(room.connectionState);
  });
}
