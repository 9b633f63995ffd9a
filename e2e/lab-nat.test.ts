/**
 * The network lab's NATs behave as their names say (e2e/harness/internet.ts), seen from a
 * client with a UDP/TCP echo on the server (harness/nat-echo.ts, nat-probe.ts):
 * - `eim`: one mapping for every destination, the port kept; a reply from another
 *   server address is filtered out;
 * - `symmetric`: a new mapping per destination;
 * - `udp-blocked`: no UDP gets through, TCP only to 443.
 * Two clients of one site reach each other directly on their LAN. The foundation of the
 * connectivity matrix (issue 13). And `itda nat-check` (RFC 5780, against `itda turn
 * --rfc5780` on the server's two addresses) names each kind. Needs root, `ip` and `iptables`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Internet, SERVER_ADDRESSES } from './harness/internet.ts';
import { jsonLine, netLabUnavailable } from './harness/netns.ts';

const ECHO = fileURLToPath(new URL('./harness/nat-echo.ts', import.meta.url));
const PROBE = fileURLToPath(new URL('./harness/nat-probe.ts', import.meta.url));
const ITDA = fileURLToPath(new URL('../packages/server/bin/itda.js', import.meta.url));
/** The RFC 5780 STUN server's primary port (the echo has 3478 and 3479). */
const STUN_PORT = 3490;
const unavailable = netLabUnavailable(['ip', 'iptables']);
const net = new Internet();
const [A1, A2] = SERVER_ADDRESSES;

interface Probe {
  udp: Record<string, string | null>;
  otherAddress: boolean;
  tcp443: boolean;
  tcp80: boolean;
}

async function probe(ns: string): Promise<Probe> {
  const line = await jsonLine<{ result: Probe }>(
    net.lab.spawn(ns, [process.execPath, PROBE, A1, A2]),
    (l) => 'result' in l,
    30_000,
  );
  return line.result;
}

before(async () => {
  if (unavailable !== undefined) return;
  await net.start();
  await net.addSite('eim', 1, 'eim', 2);
  await net.addSite('sym', 2, 'symmetric');
  await net.addSite('udp', 3, 'udp-blocked');
  await jsonLine(net.lab.spawn('srv', [process.execPath, ECHO, A1, A2]), (l) => l.ready === true);
  const turn = net.lab.spawn('srv', [
    process.execPath,
    ITDA,
    'turn',
    '--listen',
    `${A1}:${STUN_PORT}`,
    '--rfc5780',
    A2 as string,
    '--secret',
    'unused',
  ]);
  await jsonLine(turn, (l) => l.msg === 'TURN ready');
});

after(async () => {
  await net.close();
});

test('endpoint-independent NAT: one mapping, port kept, for every destination; replies from elsewhere filtered', {
  skip: unavailable,
}, async () => {
  const r = await probe('eimc1');
  const mapped = Object.values(r.udp);
  assert.deepEqual(mapped, [`10.251.1.2:40000`, `10.251.1.2:40000`, `10.251.1.2:40000`], JSON.stringify(r));
  assert.equal(r.otherAddress, false, 'address-and-port-dependent filtering');
  assert.deepEqual([r.tcp443, r.tcp80], [true, true]);
});

test('symmetric NAT: a new mapping for each destination', { skip: unavailable }, async () => {
  const r = await probe('symc1');
  const mapped = Object.values(r.udp);
  assert.ok(
    mapped.every((m) => m?.startsWith('10.251.2.2:')),
    JSON.stringify(r),
  );
  // Random ports per destination: two of three could coincide (about 1 in 20,000), all three never do.
  assert.ok(new Set(mapped).size >= 2, `a mapping per destination: ${JSON.stringify(r)}`);
});

test('UDP blocked: no UDP at all, TCP only to 443', { skip: unavailable }, async () => {
  const r = await probe('udpc1');
  assert.deepEqual(Object.values(r.udp), [null, null, null]);
  assert.deepEqual([r.tcp443, r.tcp80], [true, false]);
});

test('same LAN: two clients of one site reach each other directly, with their own addresses', {
  skip: unavailable,
}, async () => {
  const [c1, c2] = net.sites[0]?.clients ?? [];
  assert.ok(c1 && c2);
  const server =
    "require('node:net').createServer((c) => c.end(c.remoteAddress)).listen(7000, '0.0.0.0', () => console.log(JSON.stringify({ ready: true })))";
  await jsonLine(net.lab.spawn(c2.ns, [process.execPath, '-e', server]), (l) => l.ready === true);
  const client = `const c = require('node:net').connect(7000, '${c2.address}'); c.on('data', (d) => { process.stdout.write(String(d)); c.destroy(); })`;
  assert.equal(await net.lab.exec(c1.ns, process.execPath, '-e', client), c1.address, 'no NAT between them');
});

type NatCheck = {
  udp: boolean;
  rfc5780: boolean;
  mapping?: string;
  filtering?: string;
  direct: string;
  summary: string;
};

/** `itda nat-check --json` from a client namespace; its exit code is 1 when UDP got no answer. */
async function natCheck(ns: string): Promise<NatCheck> {
  const line = await jsonLine<NatCheck>(
    net.lab.spawn(ns, [
      process.execPath,
      ITDA,
      'nat-check',
      '--server',
      `${A1}:${STUN_PORT}`,
      '--json',
      '--timeout',
      '1s',
    ]),
    (l) => 'summary' in l,
    60_000,
  );
  return line;
}

test('`itda nat-check` names each kind of NAT in the lab', { skip: unavailable }, async (t) => {
  const [eim, sym, udp] = await Promise.all([natCheck('eimc1'), natCheck('symc1'), natCheck('udpc1')]);
  for (const [kind, r] of [
    ['eim', eim],
    ['symmetric', sym],
    ['udp-blocked', udp],
  ] as const) {
    t.diagnostic(`${kind}: ${r.summary}`);
  }
  assert.equal(eim.rfc5780, true, eim.summary);
  assert.equal(eim.mapping, 'endpoint-independent', eim.summary);
  assert.equal(eim.filtering, 'address-and-port-dependent', eim.summary);
  assert.equal(eim.direct, 'likely');
  assert.match(eim.summary, /keeps your address and port for every destination/);
  assert.equal(sym.mapping, 'address-and-port-dependent', sym.summary);
  assert.equal(sym.filtering, 'address-and-port-dependent', sym.summary);
  assert.equal(sym.direct, 'relay');
  assert.match(sym.summary, /symmetric NAT/);
  assert.equal(udp.udp, false, udp.summary);
  assert.equal(udp.direct, 'relay');
  assert.match(udp.summary, /No answer over UDP/);
});
