/**
 * Debian's Chromium driven by playwright-core: one browser per test file, one context
 * (a separate profile) per person, fake camera and microphone, and every page error or
 * console error recorded so that tests can assert there were none.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { assertLoopbackOnly } from './loopback.ts';

/** Chromium flags: fake media devices, no background traffic, loopback ICE candidates. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launches headless Chromium with CHROMIUM_ARGS and `extraArgs` (e.g.
 * `--ignore-certificate-errors-spki-list=…` to accept one self-signed TURN certificate);
 * refuses outside a loopback-only network namespace.
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  assertLoopbackOnly();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30_000 });
}

/** One person: a browser profile with a single page, and what went wrong on it. */
export interface Person {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught page errors and console errors, in order, as text. */
  readonly errors: string[];
}

export interface PersonOptions {
  /** Viewport, e.g. a phone `{ width: 360, height: 740 }`. Default 1280×720. */
  viewport?: { width: number; height: number };
}

/** Console errors that say nothing about the app (a missing favicon). */
function isNoise(text: string, url: string): boolean {
  return url.endsWith('/favicon.ico') && text.includes('404');
}

/** Opens a new profile for `name` with camera, microphone and clipboard granted on `origin`. */
export async function newPerson(
  browser: Browser,
  origin: string,
  name: string,
  options: PersonOptions = {},
): Promise<Person> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 720 },
    permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'],
  });
  await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location().url;
    if (!isNoise(msg.text(), url)) errors.push(`console.error: ${msg.text()} (${url})`);
  });
  return { name, context, page, errors };
}

/**
 * The errors recorded for `person`, minus those matching one of `allowed`
 * (for example the browser's own message when a WebSocket is cut on purpose).
 */
export function unexpectedErrors(person: Person, allowed: readonly RegExp[] = []): string[] {
  return person.errors.filter((e) => !allowed.some((re) => re.test(e)));
}
