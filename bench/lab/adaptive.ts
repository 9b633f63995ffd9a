/**
 * `npm run bench:adaptive -- [--runs 3] [--rate 300kbit] [--adaptive-only]` — adaptation to a throttled
 * viewer (issue 14), in the network lab (e2e/harness/internet.ts; needs root, ip,
 * iptables, tc), with and without the SFU's adaptive layers (`--sfu-adaptive`):
 * a Chromium sender publishes simulcast (`?simulcast=1`; Chromium's fake camera at the
 * 1280×720 the SDK asks for: layers 320, 640 and 1280 wide) into an `sfu` room; a
 * Chromium viewer behind another router decodes it, its tile asking for the 640-wide
 * layer. Once the viewer shows that layer, its downlink is limited with `tc tbf` (rate `--rate`, burst
 * 4 kB, latency 200 ms) on its router's LAN port — the server → viewer direction only —
 * for 25 s, then the limit goes. Per run it prints, as one JSON line:
 * the time to the first frame of a narrower layer, frames/s and freezes (count, seconds)
 * from 1 s after that switch to the end of the limit, and the time back to 640 wide
 * after the limit goes (null: not within 30 s). Bounded: each run ≤ about 2 minutes.
 */
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { button, newPerson, waitFor, waitForJoined } from '../../e2e/harness/index.ts';
import { Internet } from '../../e2e/harness/internet.ts';
import { launchInNamespace } from '../../e2e/harness/lab-browser.ts';
import { LAB_ORIGIN as ORIGIN, startLabServer } from '../../e2e/harness/lab-server.ts';
import { netLabUnavailable } from '../../e2e/harness/netns.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '300kbit' },
    /** Only the runs with --sfu-adaptive (when tuning it). */
    'adaptive-only': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Math.min(10, Number(values.runs)));
const RATE = String(values.rate);
/** The layer the viewer's tile asks for (quality medium: the middle of 320, 640, 1280). */
const TOP_WIDTH = 640;
const LIMIT_MS = 25_000;

interface VideoIn {
  framesDecoded: number;
  frameWidth: number;
  freezeCount: number;
  freezeS: number;
  packetsLost: number;
  nacks: number;
  plis: number;
  keyFrames: number;
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
        packetsLost: Number(s.packetsLost ?? 0),
        nacks: Number(s.nackCount ?? 0),
        plis: Number(s.pliCount ?? 0),
        keyFrames: Number(s.keyFramesDecoded ?? 0),
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(adaptive: boolean): Promise<Record<string, unknown>> {
  const net = new Internet();
  const browsers: Browser[] = [];
  let close = (): void => undefined;
  try {
    await net.start();
    await net.addSite('sa', 1, 'eim');
    await net.addSite('va', 2, 'eim');
    const server = await startLabServer(net, { turn: false, serveFlags: adaptive ? ['--sfu-adaptive'] : [] });
    close = server.close;
    await server.createRoom('adaptive', 'sfu');
    for (const ns of ['sac1', 'vac1']) browsers.push(await launchInNamespace(net.lab, ns, server.chromiumArgs));
    const [sb, vb] = browsers as [Browser, Browser];
    const viewer = await newPerson(vb, ORIGIN, 'Viewer');
    await enter((await newPerson(sb, ORIGIN, 'Sender')).page, '/r/adaptive?simulcast=1', 'Sender');
    await enter(viewer.page, '/r/adaptive', 'Viewer');
    await waitFor(
      async () => {
        const v = await readVideo(viewer.page);
        return v !== undefined && v.frameWidth >= TOP_WIDTH ? v : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: `the viewer decoding the ${TOP_WIDTH}-wide layer` },
    );
    await sleep(5000);
    const dev = net.lab.ifName('vap1');
    await net.lab.exec(
      'var',
      'tc',
      'qdisc',
      'add',
      'dev',
      dev,
      'root',
      'tbf',
      'rate',
      RATE,
      'burst',
      '4kb',
      'latency',
      '200ms',
    );
    const limitedAt = Date.now();
    const samples: VideoIn[] = [];
    let switchedAt: number | undefined;
    while (Date.now() - limitedAt < LIMIT_MS) {
      const v = await readVideo(viewer.page);
      if (v !== undefined) {
        samples.push(v);
        if (switchedAt === undefined && v.frameWidth > 0 && v.frameWidth < TOP_WIDTH) switchedAt = v.atMs;
      }
      await sleep(500);
    }
    await net.lab.exec('var', 'tc', 'qdisc', 'del', 'dev', dev, 'root');
    const liftedAt = Date.now();
    let backAt: number | undefined;
    while (Date.now() - liftedAt < 30_000 && backAt === undefined) {
      const v = await readVideo(viewer.page);
      if (v !== undefined && v.frameWidth >= TOP_WIDTH) backAt = v.atMs;
      else await sleep(250);
    }
    const from = samples.find((v) => v.atMs >= (switchedAt ?? limitedAt) + 1000) ?? samples[0];
    const to = samples[samples.length - 1];
    const span = from !== undefined && to !== undefined ? to.atMs - from.atMs : 0;
    return {
      adaptive,
      rate: RATE,
      toNarrowerLayerS: switchedAt === undefined ? null : Number(((switchedAt - limitedAt) / 1000).toFixed(1)),
      widthAtEnd: to?.frameWidth ?? null,
      fps: span > 0 ? Number(((((to?.framesDecoded ?? 0) - (from?.framesDecoded ?? 0)) * 1000) / span).toFixed(1)) : 0,
      freezes: (to?.freezeCount ?? 0) - (from?.freezeCount ?? 0),
      freezeS: Number(((to?.freezeS ?? 0) - (from?.freezeS ?? 0)).toFixed(1)),
      // What the viewer's receiver saw over the same span.
      lost: (to?.packetsLost ?? 0) - (from?.packetsLost ?? 0),
      nacks: (to?.nacks ?? 0) - (from?.nacks ?? 0),
      plis: (to?.plis ?? 0) - (from?.plis ?? 0),
      keyFrames: (to?.keyFrames ?? 0) - (from?.keyFrames ?? 0),
      backToTopS: backAt === undefined ? null : Number(((backAt - liftedAt) / 1000).toFixed(1)),
    };
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    await net.close();
    close();
  }
}

const why = netLabUnavailable(['ip', 'iptables', 'tc']);
if (why !== undefined) {
  console.error(`bench:adaptive: the network lab ${why}`);
  process.exit(2);
}
console.log(`bench:adaptive — viewer downlink limited to ${RATE} (tc tbf) for 25 s, ${RUNS} run(s) each way`);
for (let i = 0; i < RUNS; i++) {
  for (const adaptive of values['adaptive-only'] === true ? [true] : [false, true]) {
    process.stderr.write(`run ${i + 1}/${RUNS}, adaptive ${adaptive ? 'on' : 'off'}…\n`);
    console.log(JSON.stringify(await run(adaptive)));
  }
}
