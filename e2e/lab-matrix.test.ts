/**
 * The connectivity matrix (issue 13): real Chromium in client namespaces behind the lab's
 * NATs (harness/internet.ts) joins itda on the lab's "public" server, in `p2p` and `sfu`
 * rooms. Each cell must connect, media must flow both ways (video frames decoded, audio
 * packets received), and the selected candidate pair must be the kind the network
 * allows: host on one LAN; server-reflexive through endpoint-independent NATs; a TURN
 * relay when both sides are symmetric; TURN over TLS on 443 when UDP is blocked. With the
 * SFU every client reaches the server's own address (ICE-lite host candidate), except
 * through the UDP-blocked site: TURN-TLS on 443. Each cell records join → connected (a
 * candidate pair selected) and join → first video frame, both pages. The pre-join
 * screen's network check is read once per client network and must name it: relay over
 * UDP/TCP/TLS reachable or not, and the NAT keeping or changing its port (`itda turn
 * --rfc5780` gives the server's second address to compare with).
 *
 * The server side: `itda serve` on 10.250.1.2:443 (HTTPS, WSS, the SFU on 7882) and
 * `itda turn` on 10.250.1.3 (UDP/TCP 3478 and TLS on 443: the one way out of a network that
 * allows only TCP 443), sharing one certificate that Chromium pins. The matrix is printed,
 * and written to `$LAB_MATRIX_OUT` when set (docs/connectivity.md holds a run of it).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  button,
  newPerson,
  type Person,
  readRemoteMedia,
  readSelectedPairs,
  readTriedPairs,
  type SelectedPair,
  waitFor,
  waitForJoined,
} from './harness/index.ts';
import { Internet } from './harness/internet.ts';
import { launchInNamespace } from './harness/lab-browser.ts';
import { type LabServer, LAB_ORIGIN as ORIGIN, startLabServer } from './harness/lab-server.ts';
import { netLabUnavailable } from './harness/netns.ts';

const unavailable = netLabUnavailable(['ip', 'iptables']);

type Expect = 'host' | 'srflx' | 'relay' | 'relay-tls' | 'direct' | 'any';
interface Cell {
  name: string;
  a: string;
  b: string;
  expect: { p2p: Expect; sfu: Expect };
}
const CELLS: Cell[] = [
  { name: 'same LAN', a: 'eac1', b: 'eac2', expect: { p2p: 'host', sfu: 'direct' } },
  {
    name: 'endpoint-independent ↔ endpoint-independent',
    a: 'eac1',
    b: 'ebc1',
    expect: { p2p: 'srflx', sfu: 'direct' },
  },
  { name: 'endpoint-independent ↔ symmetric', a: 'eac1', b: 'sac1', expect: { p2p: 'any', sfu: 'direct' } },
  { name: 'symmetric ↔ symmetric', a: 'sac1', b: 'sbc1', expect: { p2p: 'relay', sfu: 'direct' } },
  { name: 'UDP blocked ↔ endpoint-independent', a: 'uac1', b: 'eac1', expect: { p2p: 'relay-tls', sfu: 'relay-tls' } },
  { name: 'UDP blocked ↔ symmetric', a: 'uac1', b: 'sac1', expect: { p2p: 'relay-tls', sfu: 'relay-tls' } },
  { name: 'UDP blocked ↔ UDP blocked', a: 'uac1', b: 'ubc1', expect: { p2p: 'relay-tls', sfu: 'relay-tls' } },
];

const net = new Internet();
let server: LabServer | undefined;
const rows: string[] = [];

before(async () => {
  if (unavailable !== undefined) return;
  await net.start();
  await net.addSite('ea', 1, 'eim', 2);
  await net.addSite('eb', 2, 'eim');
  await net.addSite('sa', 3, 'symmetric');
  await net.addSite('sb', 4, 'symmetric');
  await net.addSite('ua', 5, 'udp-blocked');
  await net.addSite('ub', 6, 'udp-blocked');
  server = await startLabServer(net, { turn: true });
});

after(async () => {
  if (rows.length > 0) {
    const table = [
      '| cell | room | path (page A · page B) | join → connected, s | join → first frame, s |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n');
    const checks = [
      '| client network | UDP | TCP | TLS | NAT |',
      '|---|---|---|---|---|',
      ...[...checked.entries()].map(
        ([ns, c]) => `| ${siteKind(ns)} (${ns}) | ${c.udp} | ${c.tcp} | ${c.tls} | ${c.nat} |`,
      ),
    ].join('\n');
    const text = `${table}\n\nThe pre-join network check, per client network:\n\n${checks}\n`;
    process.stdout.write(`\n${text}`);
    if (process.env.LAB_MATRIX_OUT) writeFileSync(process.env.LAB_MATRIX_OUT, text);
  }
  await net.close();
  server?.close();
});

function describe(pairs: SelectedPair[]): string {
  const p = pairs[0];
  if (p === undefined) return 'none';
  const relay = (e: SelectedPair['local']): string =>
    e.candidateType === 'relay' ? `relay/${e.relayProtocol || '?'}` : e.candidateType;
  return `${relay(p.local)}→${relay(p.remote)} ${p.local.protocol}`;
}

function meets(expect: Expect, a: SelectedPair[], b: SelectedPair[]): boolean {
  const all = [...a, ...b];
  if (all.length === 0) return false;
  const types = all.flatMap((p) => [p.local.candidateType, p.remote.candidateType]);
  switch (expect) {
    case 'host':
      return types.every((t) => t === 'host');
    case 'srflx':
      return !types.includes('relay') && types.some((t) => t === 'srflx' || t === 'prflx');
    case 'relay':
      return types.includes('relay');
    case 'relay-tls':
      return a.some((p) => p.local.candidateType === 'relay' && p.local.relayProtocol === 'tls');
    case 'direct':
      return all.every((p) => p.local.candidateType !== 'relay' && p.remote.candidateType === 'host');
    case 'any':
      return true;
  }
}

type Check = { udp: string; tcp: string; tls: string; nat: string };
/** The pre-join network check's finding per client namespace (the first page there). */
const checked = new Map<string, Check>();

function siteKind(ns: string): 'endpoint-independent' | 'symmetric' | 'UDP blocked' {
  return ns.startsWith('e') ? 'endpoint-independent' : ns.startsWith('s') ? 'symmetric' : 'UDP blocked';
}

/** What each lab network must show: the relay over UDP, TCP (3478) and TLS (443), and the NAT's mapping. */
const CHECK_EXPECTED: Record<ReturnType<typeof siteKind>, Check> = {
  'endpoint-independent': { udp: 'yes', tcp: 'yes', tls: 'yes', nat: 'keeps-port' },
  symmetric: { udp: 'yes', tcp: 'yes', tls: 'yes', nat: 'changes-port' },
  'UDP blocked': { udp: 'no', tcp: 'no', tls: 'yes', nat: 'unknown' },
};

/** The pre-join screen, name filled in; its network check read once per namespace. */
async function open(page: Page, ns: string, room: string, name: string): Promise<void> {
  await page.goto(`${ORIGIN}/r/${room}`);
  await page.getByLabel('Display name', { exact: true }).fill(name);
  if (checked.has(ns)) return;
  const section = page.locator('section.network-check:not([data-state="checking"])');
  await section.waitFor({ timeout: 30_000 });
  const found = await section.evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
  assert.equal(found.state, 'done', `${ns}: the network check ran`);
  const check = { udp: found.udp ?? '', tcp: found.tcp ?? '', tls: found.tls ?? '', nat: found.nat ?? '' };
  checked.set(ns, check);
  assert.deepEqual(check, CHECK_EXPECTED[siteKind(ns)], `${ns}: network check`);
}

/**
 * Waits for video and audio from the other page; the ms since `t0` until a candidate pair
 * was selected (connected) and until the first video frame was decoded (polled every 200 ms).
 */
async function mediaBothWays(page: Page, t0: number): Promise<{ connected: number; frame: number }> {
  let connected: number | undefined;
  let frame: number | undefined;
  await waitFor(
    async () => {
      if (connected === undefined && (await readSelectedPairs(page)).length > 0) connected = Date.now() - t0;
      const m = await readRemoteMedia(page);
      if (frame === undefined && (m[0]?.videoFramesDecoded ?? 0) > 0) frame = Date.now() - t0;
      return m.length === 1 && frame !== undefined && (m[0]?.audioPacketsReceived ?? 0) > 0 ? true : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 200, what: 'video frames and audio from the other page' },
  );
  return { connected: connected ?? Date.now() - t0, frame: frame ?? Date.now() - t0 };
}

for (const cell of CELLS) {
  test(`matrix: ${cell.name}`, { skip: unavailable ?? false }, async () => {
    const browsers: Browser[] = [];
    try {
      for (const ns of [cell.a, cell.b])
        browsers.push(await launchInNamespace(net.lab, ns, (server as LabServer).chromiumArgs));
      for (const mode of ['p2p', 'sfu'] as const) {
        const room = `lab-${mode}-${cell.a}-${cell.b}`;
        await (server as LabServer).createRoom(room, mode);
        const people: Person[] = [];
        for (const [i, b] of browsers.entries()) people.push(await newPerson(b, ORIGIN, i === 0 ? 'A' : 'B'));
        const [a, b] = people;
        assert.ok(a && b);
        await Promise.all([open(a.page, cell.a, room, 'A'), open(b.page, cell.b, room, 'B')]);
        const t0 = Date.now();
        await Promise.all([button(a.page, 'Join').click(), button(b.page, 'Join').click()]);
        await Promise.all([waitForJoined(a.page), waitForJoined(b.page)]);
        let times: { connected: number; frame: number }[];
        try {
          times = await Promise.all([mediaBothWays(a.page, t0), mediaBothWays(b.page, t0)]);
        } catch (err) {
          const tried = JSON.stringify({ a: await readTriedPairs(a.page), b: await readTriedPairs(b.page) });
          throw new Error(
            `${cell.name} (${mode}) did not connect: ${(err as Error).message}; candidate pairs ${tried}`,
          );
        }
        // The call is connected, and shows video, when both pages are.
        const s = (key: 'connected' | 'frame'): string => (Math.max(...times.map((t) => t[key])) / 1000).toFixed(1);
        // ICE may first select a pair that succeeded early (a relay one) and move to the better
        // one once its checks succeed, and the two pages need not agree at every instant:
        // what must hold is where it settles, within 15 s.
        let [pa, pb] = [await readSelectedPairs(a.page), await readSelectedPairs(b.page)];
        try {
          await waitFor(
            async () => {
              [pa, pb] = [await readSelectedPairs(a.page), await readSelectedPairs(b.page)];
              return meets(cell.expect[mode], pa, pb) ? true : undefined;
            },
            { timeoutMs: 15_000, intervalMs: 250, what: `the ${cell.expect[mode]} path` },
          );
        } catch {
          const tried = JSON.stringify({ a: await readTriedPairs(a.page), b: await readTriedPairs(b.page) });
          assert.fail(
            `${cell.name} (${mode}): expected ${cell.expect[mode]}, got ${describe(pa)} · ${describe(pb)}; candidate pairs ${tried}`,
          );
        }
        rows.push(`| ${cell.name} | ${mode} | ${describe(pa)} · ${describe(pb)} | ${s('connected')} | ${s('frame')} |`);
        for (const p of people) await p.context.close();
      }
    } finally {
      for (const b of browsers) await b.close();
    }
  });
}
