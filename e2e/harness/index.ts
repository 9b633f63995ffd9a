/**
 * The end-to-end fixture: one itda server in this process and one headless Chromium,
 * both on loopback inside a loopback-only network namespace, and the people (browser
 * profiles) of a test. `close()` always closes everything, even after a failure.
 *
 * ```ts
 * let h: Harness;
 * before(async () => { h = await Harness.start(); });
 * after(() => h?.close());
 * ```
 */
import type { Browser } from 'playwright-core';
import { launchBrowser, newPerson, type Person, type PersonOptions } from './browser.ts';
import { assertLoopbackOnly } from './loopback.ts';
import { withTimeout } from './poll.ts';
import { type RunningServer, startTestServer, type TestServerOptions } from './server.ts';

export * from './browser.ts';
export * from './call.ts';
export * from './dom.ts';
export * from './events.ts';
export * from './loopback.ts';
export * from './media.ts';
export * from './poll.ts';
export * from './relay.ts';
export * from './server.ts';

export interface HarnessOptions {
  /** Passed to `startServer`. */
  server?: TestServerOptions;
  /** Extra Chromium flags, computed from the started server (e.g. to pin its TURN certificate). */
  browserArgs?: (server: RunningServer) => string[];
}

export class Harness {
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly people: Person[] = [];
  #closed = false;

  private constructor(server: RunningServer, browser: Browser) {
    this.server = server;
    this.browser = browser;
  }

  /** Checks the namespace, starts the server, launches the browser. */
  static async start(options: HarnessOptions = {}): Promise<Harness> {
    assertLoopbackOnly();
    const server = await withTimeout(startTestServer(options.server), 20_000, 'starting the itda server');
    let browser: Browser;
    try {
      browser = await launchBrowser(options.browserArgs?.(server) ?? []);
    } catch (err) {
      await server.close().catch(() => {});
      throw err;
    }
    return new Harness(server, browser);
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return this.server.url;
  }

  /** A new person (browser profile with one page) on this server's origin. */
  async person(name: string, options: PersonOptions = {}): Promise<Person> {
    const person = await newPerson(this.browser, this.url, name, options);
    this.people.push(person);
    return person;
  }

  /** Closes a person's profile (its pages and connections). */
  async dismiss(person: Person): Promise<void> {
    const i = this.people.indexOf(person);
    if (i >= 0) this.people.splice(i, 1);
    await withTimeout(person.context.close(), 10_000, `closing ${person.name}'s browser profile`);
  }

  /** Closes every profile, the browser and the server. Twice is a no-op; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const person of this.people.splice(0)) {
      await withTimeout(person.context.close(), 10_000, 'closing a browser profile').catch(() => {});
    }
    await withTimeout(this.browser.close(), 15_000, 'closing the browser').catch(() => {});
    await withTimeout(this.server.close(), 15_000, 'closing the itda server').catch(() => {});
  }
}
