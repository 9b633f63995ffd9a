/**
 * Issue #4: "50 join/leave cycles leave no transports, ports or timers behind", in
 * Chromium through itda's SFU. Ada stays in an sfu room, and so does Cai; Bea joins and
 * leaves 50 times on one page (`Leave`, then `Rejoin`: a fresh Room, fresh peer
 * connections and a new participant id each time). Every cycle Ada's page shows Bea's
 * tile and then loses it, Bea's two transports reach ICE and DTLS connected, and the SFU
 * holds six transports, then four; every 10th cycle Ada decodes Bea's and Cai's video and
 * hears their audio.
 *
 * Cai keeps a second stream in Ada's subscribe connection, so Bea's m-line slots are
 * recycled (RFC 8843 §7.3.3) across the 50 cycles beside a live track. The last test runs
 * 20 more cycles against Ada alone: with no remote track left, the SFU keeps one m-line
 * idle (`a=inactive`, still bundled) rather than putting every m-line at port 0, which
 * would make Chromium close the transport — so Ada keeps both transports and the same
 * subscribe connection, and nothing grows either.
 *
 * Afterwards: the SFU holds exactly Ada's and Cai's transports (four); Ada's subscribe SDP
 * (the SFU's last offer) did not grow with the cycles; the server process has no more
 * sockets (`/proc/self/fd`), no more pending timers (counted by wrapping the global timer
 * functions: the server's timers are unref'd, which `process.getActiveResourcesInfo()` does
 * not list) and no more active handles by type than after the first cycle. Then Cai leaves (Ada
 * alone: both her transports stay) and Ada leaves: no transport, no room. The numbers
 * are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  button,
  Harness,
  join,
  localParticipantId,
  type Person,
  tile,
  unexpectedErrors,
  uniqueRoom,
  waitFor,
} from './harness/index.ts';
import {
  type ProcessResources,
  processResources,
  sfuCounts,
  subscribeSdpSize,
  type TimerCounts,
  trackTimers,
  waitForSfuCounts,
  waitForSfuRemotes,
} from './harness/sfu.ts';

const CYCLES = 50;
const MEDIA_EVERY = 10;
/** Cycles against a lone stayer (whose subscribe connection is replaced each time). */
const LONE_CYCLES = 20;
/** Sockets that may legitimately come and go (HTTP keep-alive connections of page loads). */
const SOCKET_SLACK = 2;
/** Pending timeouts that may come and go: playwright's own waits run in this process too. */
const TIMEOUT_SLACK = 3;

/** Every timer of this process (the server's are unref'd, so getActiveResourcesInfo misses them). */
const timers = trackTimers();

let h: Harness;
let ada: Person;
let cai: Person;
let bea: Person;
const room = uniqueRoom('sfu-churn');

before(async () => {
  h = await Harness.start({ server: { sfu: true } });
});
after(async () => {
  await h?.close();
  timers.restore();
});

/** What the SFU holds with Bea in and out, and whom Ada then receives. */
interface Stage {
  withBea: number;
  withoutBea: number;
  others: string[];
  mediaEvery: number;
  cycles: number;
}

/** Bea joins (the first time by URL, then with `Rejoin`), is seen by Ada, then leaves. */
async function cycle(n: number, stage: Stage): Promise<{ id: string; decoded: boolean }> {
  if (n === 0) await join(bea.page, h.url, room, 'Bea');
  else {
    await button(bea.page, 'Rejoin').click();
    await bea.page.locator('[data-participant-id="local"]').waitFor();
  }
  const id = await waitFor(() => localParticipantId(bea.page), { timeoutMs: 10_000, what: `Bea's id (cycle ${n})` });
  await tile(ada.page, id).waitFor({ timeout: 15_000 });
  const inside = { rtcTransports: stage.withBea, serviceTransports: stage.withBea };
  await waitForSfuCounts(h.server, inside, 15_000, `Bea in (cycle ${n})`);
  // Every cycle reaches media: both of Bea's connections pass ICE and DTLS with the SFU.
  await waitFor(
    () =>
      (['publish', 'subscribe'] as const).every(
        (role) => h.server.sfu?.service.transportOf(room, id, role)?.connected === true,
      ),
    { timeoutMs: 15_000, intervalMs: 20, what: `Bea's transports connected (cycle ${n})` },
  );
  const decoded = n % stage.mediaEvery === 0 || n === stage.cycles - 1;
  if (decoded) await waitForSfuRemotes(ada.page, ['Bea', ...stage.others], { timeoutMs: 20_000 });
  await button(bea.page, 'Leave').click();
  await button(bea.page, 'Rejoin').waitFor();
  await tile(ada.page, id).waitFor({ state: 'detached', timeout: 15_000 });
  const out = { rtcTransports: stage.withoutBea, serviceTransports: stage.withoutBea, rooms: 1 };
  await waitForSfuCounts(h.server, out, 15_000, `Bea out (cycle ${n})`);
  return { id, decoded };
}

interface Snapshot extends ProcessResources {
  timers: TimerCounts;
}

function snapshot(): Snapshot {
  return { ...processResources(), timers: timers.counts() };
}

/** What grew from `before` to `now`: sockets and timeouts beyond their slack, anything else at all. */
function grew(before: Snapshot, now: Snapshot): string[] {
  const out: string[] = [];
  if (now.timers.timeouts > before.timers.timeouts + TIMEOUT_SLACK)
    out.push(`timeouts ${before.timers.timeouts} → ${now.timers.timeouts}`);
  if (now.timers.intervals > before.timers.intervals)
    out.push(`intervals ${before.timers.intervals} → ${now.timers.intervals}`);
  if (now.sockets > before.sockets + SOCKET_SLACK) out.push(`sockets ${before.sockets} → ${now.sockets}`);
  for (const [type, count] of Object.entries(now.handles)) {
    const was = before.handles[type] ?? 0;
    const slack = type === 'TCPSocketWrap' ? SOCKET_SLACK : 0;
    if (count > was + slack) out.push(`${type} ${was} → ${count}`);
  }
  return out;
}

test('Ada and Cai in an sfu room receive each other', async () => {
  ada = await h.person('Ada');
  cai = await h.person('Cai');
  bea = await h.person('Bea');
  await join(ada.page, h.url, room, 'Ada');
  await join(cai.page, h.url, room, 'Cai');
  await waitForSfuRemotes(ada.page, ['Cai']);
  await waitForSfuRemotes(cai.page, ['Ada']);
  assert.deepEqual(sfuCounts(h.server), { rtcTransports: 4, serviceTransports: 4, rooms: 1 });
});

test(`${CYCLES} join/leave cycles leave no transports, sockets or timers behind; the subscribe SDP stays bounded`, async (t) => {
  const ids = new Set<string>();
  const sdp: number[] = [];
  let decodedCycles = 0;
  let baseline: Snapshot | undefined;
  const started = Date.now();
  for (let n = 0; n < CYCLES; n++) {
    const { id, decoded } = await cycle(n, {
      withBea: 6,
      withoutBea: 4,
      others: ['Cai'],
      mediaEvery: MEDIA_EVERY,
      cycles: CYCLES,
    });
    ids.add(id);
    if (decoded) decodedCycles++;
    sdp.push((await subscribeSdpSize(ada.page)).mLines);
    if (n === 0) {
      baseline = snapshot();
      t.diagnostic(`server process after cycle 1: ${JSON.stringify(baseline)}`);
    }
  }
  assert.ok(baseline);
  t.diagnostic(`${CYCLES} cycles in ${Date.now() - started} ms; ${decodedCycles} with decoded video checked`);
  assert.equal(ids.size, CYCLES, 'a new participant each cycle');

  // The subscribe SDP is bounded: no more m-lines late than early (Bea's slots recycled).
  const final = await subscribeSdpSize(ada.page);
  t.diagnostic(`Ada's subscribe SDP m-lines after each cycle: ${sdp.join(' ')}; final ${JSON.stringify(final)}`);
  const early = Math.max(...sdp.slice(0, MEDIA_EVERY));
  const late = Math.max(...sdp.slice(-MEDIA_EVERY));
  assert.ok(
    late <= early,
    `m-lines did not grow (first ${MEDIA_EVERY} cycles ≤ ${early}, last ${MEDIA_EVERY} ≤ ${late})`,
  );
  assert.ok(final.mLines <= 6, `Cai's two m-lines and at most two slot pairs for Bea, got ${final.mLines}`);
  assert.equal(final.active, 2, "only Cai's audio and video in use");

  // Exactly Ada's and Cai's transports.
  assert.deepEqual(sfuCounts(h.server), { rtcTransports: 4, serviceTransports: 4, rooms: 1 });

  // Sockets and handles back to what they were after the first cycle (closing is asynchronous: wait, bounded).
  const base = baseline;
  let now = snapshot();
  await waitFor(
    () => {
      now = snapshot();
      return grew(base, now).length === 0;
    },
    { timeoutMs: 15_000, intervalMs: 250, what: 'sockets and handles back to the first cycle' },
  ).catch(() => undefined);
  t.diagnostic(`server process after ${CYCLES} cycles: ${JSON.stringify(now)}`);
  assert.deepEqual(grew(base, now), [], 'nothing grew in the server process');

  // Ada and Cai still receive each other.
  await waitForSfuRemotes(ada.page, ['Cai']);
  for (const p of [ada, bea, cai]) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
});

test(`Cai leaves: Ada alone keeps both transports (one idle m-line); ${LONE_CYCLES} more cycles against Ada alone on the same subscribe connection leave nothing behind; Ada leaves: no transport, no room`, async (t) => {
  await button(cai.page, 'Leave').click();
  // Ada's subscribe offer keeps one m-line idle: her subscribe transport stays.
  const alone = await waitForSfuCounts(
    h.server,
    { rtcTransports: 2, serviceTransports: 2, rooms: 1 },
    15_000,
    'Ada alone',
  );
  t.diagnostic(`Ada alone: ${JSON.stringify(alone)}`);
  const base = snapshot();
  const started = Date.now();
  for (let n = 1; n <= LONE_CYCLES; n++) {
    // Bea in: Ada's two, Bea's two.
    await cycle(n, { withBea: 4, withoutBea: 2, others: [], mediaEvery: 5, cycles: LONE_CYCLES + 1 });
  }
  let now = snapshot();
  await waitFor(
    () => {
      now = snapshot();
      return grew(base, now).length === 0;
    },
    { timeoutMs: 15_000, intervalMs: 250, what: 'sockets and handles back' },
  ).catch(() => undefined);
  t.diagnostic(
    `${LONE_CYCLES} cycles against Ada alone in ${Date.now() - started} ms; server process before ${JSON.stringify(base)}, after ${JSON.stringify(now)}`,
  );
  assert.deepEqual(grew(base, now), [], 'nothing grew in the server process');
  assert.equal(
    await ada.page.evaluate(
      () =>
        (globalThis as unknown as { itda: { room: { peerConnections: unknown[] } } }).itda.room.peerConnections.length,
    ),
    2,
  );
  for (const p of [ada, bea]) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
  await button(ada.page, 'Leave').click();
  const empty = await waitForSfuCounts(
    h.server,
    { rtcTransports: 0, serviceTransports: 0, rooms: 0 },
    15_000,
    'all left',
  );
  t.diagnostic(`everyone left: ${JSON.stringify(empty)}; server process ${JSON.stringify(snapshot())}`);
});
