/**
 * Adaptive layers in the network lab (issue 14), Chromium sender and viewer in an `sfu`
 * room with `--sfu-adaptive`: the sender publishes simulcast (`?simulcast=1`); after the
 * viewer decodes the top layer on a good link, its downlink is limited to 300 kbit/s with
 * `tc tbf` on its router's LAN port (the server → viewer direction only). The SFU's
 * estimate of that downlink (transport-cc) must move the viewer to a layer that fits and
 * keep its video smooth; when the limit is lifted, probes find the room and the top layer
 * comes back. Figures (time to the fitting layer, frames/s and freezes at 300 kbit/s,
 * time back to the top) are printed, and written to `$LAB_ADAPTIVE_OUT` when set.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { button, newPerson, waitFor, waitForJoined } from './harness/index.ts';
import { Internet } from './harness/internet.ts';
import { launchInNamespace } from './harness/lab-browser.ts';
import { type LabServer, LAB_ORIGIN as ORIGIN, startLabServer } from './harness/lab-server.ts';
import { netLabUnavailable } from './harness/netns.ts';

const unavailable = netLabUnavailable(['ip', 'iptables', 'tc']);
const net = new Internet();
let server: LabServer | undefined;
const browsers: Browser[] = [];

before(async () => {
  if (unavailable !== undefined) return;
  await net.start();
  await net.addSite('sa', 1, 'eim');
  await net.addSite('va', 2, 'eim');
  server = await startLabServer(net, { turn: false, serveFlags: ['--sfu-adaptive'] });
});

after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  await net.close();
  server?.close();
});

interface VideoIn {
  framesDecoded: number;
  frameWidth: number;
  freezeCount: number;
  freezeS: number;
  atMs: number;
}

/** The viewer's inbound video on its subscribe connection (one remote camera). */
function readVideo(page: Page): Promise<VideoIn | undefined> {
  return page.evaluate(async () => {
    type Entry = Record<string, unknown> & { type: string };
    type PcLike = { getStats(): Promise<{ forEach(cb: (s: Entry) => void): void }> };
    const room = (globalThis as unknown as { itda?: { room?: { participants?: Map<string, { pc?: PcLike }> } } }).itda
      ?.room;
    const pc = [...(room?.participants?.values() ?? [])][0]?.pc;
    if (pc === undefined) return undefined;
    let out: VideoIn | undefined;
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      const frames = Number(s.framesDecoded ?? 0);
      if (out !== undefined && out.framesDecoded >= frames) return;
      out = {
        framesDecoded: frames,
        frameWidth: Number(s.frameWidth ?? 0),
        freezeCount: Number(s.freezeCount ?? 0),
        freezeS: Number(s.totalFreezesDuration ?? 0),
        atMs: Date.now(),
      };
    });
    return out;
  });
}

async function enter(page: Page, path: string, name: string): Promise<void> {
  await page.goto(`${ORIGIN}${path}`);
  await page.getByLabel('Display name', { exact: true }).fill(name);
  await button(page, 'Join').click();
  await waitForJoined(page);
}

const tbf = (add: boolean): Promise<string> => {
  const dev = net.lab.ifName('vap1');
  return add
    ? net.lab.exec(
        'var',
        'tc',
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'tbf',
        'rate',
        '300kbit',
        'burst',
        '4kb',
        'latency',
        '200ms',
      )
    : net.lab.exec('var', 'tc', 'qdisc', 'del', 'dev', dev, 'root');
};

test('a viewer limited to 300 kbit/s gets a layer that fits and smooth video; the top layer returns when the limit goes', {
  skip: unavailable ?? false,
}, async (t) => {
  const s = server as LabServer;
  await s.createRoom('adaptive', 'sfu');
  for (const ns of ['sac1', 'vac1']) browsers.push(await launchInNamespace(net.lab, ns, s.chromiumArgs));
  const [sb, vb] = browsers as [Browser, Browser];
  const sender = await newPerson(sb, ORIGIN, 'Sender');
  const viewer = await newPerson(vb, ORIGIN, 'Viewer');
  await enter(sender.page, '/r/adaptive?simulcast=1', 'Sender');
  await enter(viewer.page, '/r/adaptive', 'Viewer');
  // The good link: the viewer settles on the widest layer.
  const top = await waitFor(
    async () => {
      const a = await readVideo(viewer.page);
      if (a === undefined || a.framesDecoded === 0) return undefined;
      await new Promise((r) => setTimeout(r, 3000));
      const b = await readVideo(viewer.page);
      return b !== undefined && b.frameWidth === a.frameWidth && b.framesDecoded > a.framesDecoded ? b : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 500, what: 'the viewer decoding a steady layer' },
  );
  t.diagnostic(`good link: ${top.frameWidth} wide`);
  await new Promise((r) => setTimeout(r, 5000));
  await tbf(true);
  const limitedAt = Date.now();
  const samples: VideoIn[] = [];
  let switchedAt: number | undefined;
  while (Date.now() - limitedAt < 25_000) {
    const v = await readVideo(viewer.page);
    if (v !== undefined) {
      samples.push(v);
      if (switchedAt === undefined && v.frameWidth > 0 && v.frameWidth < top.frameWidth) switchedAt = v.atMs;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(switchedAt !== undefined, `the viewer never left the ${top.frameWidth}-wide layer`);
  const after = samples.filter((v) => v.atMs >= (switchedAt as number) + 1000);
  const first = after[0] as VideoIn;
  const last = after[after.length - 1] as VideoIn;
  const fps = ((last.framesDecoded - first.framesDecoded) * 1000) / (last.atMs - first.atMs);
  const freezes = last.freezeCount - first.freezeCount;
  const freezeS = last.freezeS - first.freezeS;
  await tbf(false);
  const liftedAt = Date.now();
  const back = await waitFor(
    async () => {
      const v = await readVideo(viewer.page);
      return v !== undefined && v.frameWidth >= top.frameWidth ? v : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'the top layer back after the limit went' },
  );
  const figures = {
    topWidth: top.frameWidth,
    fittingWidth: last.frameWidth,
    toFittingLayerS: ((switchedAt - limitedAt) / 1000).toFixed(1),
    fpsAt300k: fps.toFixed(1),
    freezesAt300k: freezes,
    freezeSecondsAt300k: freezeS.toFixed(1),
    backToTopS: ((back.atMs - liftedAt) / 1000).toFixed(1),
  };
  const line = JSON.stringify(figures);
  t.diagnostic(line);
  if (process.env.LAB_ADAPTIVE_OUT) writeFileSync(process.env.LAB_ADAPTIVE_OUT, `${line}\n`);
  assert.ok(fps >= 10, `frames/s at 300 kbit/s after the switch: ${fps.toFixed(1)}`);
});
