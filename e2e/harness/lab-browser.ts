/**
 * Chromium inside a lab namespace (harness/netns.ts): playwright-core launches a wrapper
 * that `exec`s `ip netns exec <ns> chromium`, which keeps the pipes playwright talks over.
 * The flags are the suite's (browser.ts) plus the caller's, e.g. a certificate pin.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.ts';
import type { NetLab } from './netns.ts';

/** Launches Chromium in namespace `ns` of `lab`; closing the browser removes its wrapper. */
export async function launchInNamespace(lab: NetLab, ns: string, extraArgs: readonly string[] = []): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'itda-lab-chromium-'));
  const wrapper = join(dir, 'chromium.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.nsName(ns)} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  try {
    const browser = await chromium.launch({
      executablePath: wrapper,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      timeout: 30_000,
    });
    browser.on('disconnected', () => rmSync(dir, { recursive: true, force: true }));
    return browser;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
