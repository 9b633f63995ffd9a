/**
 * `itda turn` on a host with two addresses, in a lab of network namespaces (harness/netns.ts):
 *
 *   r1 (peer 10.213.1.2) ── 10.213.1.1 [srv] 10.213.2.1 ── 10.213.2.2 (r2: router, NAT) 10.213.3.1 ── 10.213.3.2 (cli)
 *
 * The client reaches the server through the second link and asks the server's *first*
 * address. With one wildcard socket the answers left from 10.213.2.1 (the route back's
 * interface), and a NAT drops them; now every answer must come from the address asked, the
 * relay must be on it, and data must cross it both ways — with the NAT (iptables MASQUERADE
 * on r2) and without. Also: an address added while the server runs, and RFC 5780's
 * alternate address. Needs root, `ip` and `iptables` (scripts/test.sh installs them).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonLine, NetLab, netLabUnavailable } from './harness/netns.ts';

const ITDA = fileURLToPath(new URL('../packages/server/bin/itda.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./harness/turn-probe.ts', import.meta.url));
const unavailable = netLabUnavailable(['ip', 'iptables']);

const lab = new NetLab();
const PEER = { address: '10.213.1.2', port: 7000 };
const USER = { user: 'alice', password: 'secret' };

interface TurnResult {
  mapped: { address: string };
  relayed: { address: string };
  dataIndication: string;
  channelData: string;
  sources: string[];
  answers: number;
}

const ECHO = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(${PEER.port}, '0.0.0.0', () => console.log(JSON.stringify({ ready: true })));`;

function itdaTurn(args: string[]): ChildProcess {
  return lab.spawn('srv', [
    process.execPath,
    ITDA,
    'turn',
    '--user',
    'alice:secret',
    '--allowed-peer',
    '10.213.0.0/16',
    ...args,
  ]);
}

async function probe(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const child = lab.spawn('cli', [process.execPath, PROBE, JSON.stringify(args)]);
  const line = await jsonLine(child, (l) => 'result' in l || 'error' in l, 60_000);
  assert.ok('result' in line, `probe failed: ${JSON.stringify(line)}`);
  return line.result as Record<string, unknown>;
}

async function health(): Promise<{ turn: { udpLocalAddresses: string[] } }> {
  const text = await lab.exec(
    'srv',
    process.execPath,
    '-e',
    "fetch('http://127.0.0.1:9641/healthz').then((r) => r.text()).then((t) => process.stdout.write(t))",
  );
  return JSON.parse(text) as { turn: { udpLocalAddresses: string[] } };
}

before(async () => {
  if (unavailable !== undefined) return;
  for (const ns of ['srv', 'r1', 'r2', 'cli']) await lab.ns(ns);
  await lab.link({ ns: 'srv', name: 's1', cidr: '10.213.1.1/24' }, { ns: 'r1', name: 'r1', cidr: '10.213.1.2/24' });
  await lab.link({ ns: 'srv', name: 's2', cidr: '10.213.2.1/24' }, { ns: 'r2', name: 'r2', cidr: '10.213.2.2/24' });
  await lab.link({ ns: 'r2', name: 'r3', cidr: '10.213.3.1/24' }, { ns: 'cli', name: 'c3', cidr: '10.213.3.2/24' });
  await lab.router('r2');
  await lab.exec('cli', 'ip', 'route', 'add', 'default', 'via', '10.213.3.1');
  // The peer answers relays on the server's other address too.
  await lab.exec('r1', 'ip', 'route', 'add', 'default', 'via', '10.213.1.1');
  await lab.exec('r2', 'ip', 'route', 'add', '10.213.1.0/24', 'via', '10.213.2.1');
  // Without the NAT the server reaches the client's own address through r2.
  await lab.exec('srv', 'ip', 'route', 'add', '10.213.3.0/24', 'via', '10.213.2.2');
  await jsonLine(lab.spawn('r1', [process.execPath, '-e', ECHO]), (l) => l.ready === true);
});

after(async () => {
  await lab.close();
});

test('itda turn on two addresses: a client behind a NAT on the second link, asking the first, is answered and relayed from the first', {
  skip: unavailable ?? false,
}, async () => {
  const server = itdaTurn(['--listen', '0.0.0.0:3478', '--metrics-listen', '127.0.0.1:9641']);
  await jsonLine(server, (l) => l.msg === 'TURN ready');
  assert.deepEqual((await health()).turn.udpLocalAddresses.sort(), ['10.213.1.1', '10.213.2.1', '127.0.0.1']);
  const nat = ['-t', 'nat', '-A', 'POSTROUTING', '-o', lab.ifName('r2'), '-j', 'MASQUERADE'];
  await lab.exec('r2', 'iptables', ...nat);

  const behindNat = (await probe({
    mode: 'turn',
    server: '10.213.1.1',
    port: 3478,
    ...USER,
    peer: PEER,
  })) as unknown as TurnResult;
  assert.deepEqual(behindNat.sources, ['10.213.1.1:3478'], 'every answer from the address asked');
  assert.equal(behindNat.mapped.address, '10.213.2.2', 'the NAT mapped the client');
  assert.equal(behindNat.relayed.address, '10.213.1.1', 'the relay is on the address the Allocate came to');
  assert.equal(behindNat.dataIndication, 'via indication', 'Send → peer → Data indication');
  assert.equal(behindNat.channelData, 'via channel', 'ChannelData both ways');

  // Without the NAT, on either address.
  await lab.exec('r2', 'iptables', '-t', 'nat', '-F');
  for (const asked of ['10.213.1.1', '10.213.2.1']) {
    const direct = (await probe({
      mode: 'turn',
      server: asked,
      port: 3478,
      ...USER,
      peer: PEER,
    })) as unknown as TurnResult;
    assert.deepEqual(direct.sources, [`${asked}:3478`], `every answer from ${asked}`);
    assert.equal(direct.mapped.address, '10.213.3.2');
    assert.equal(direct.relayed.address, asked);
    assert.equal(direct.channelData, 'via channel');
  }

  // An address added while running is listened on after the next poll (every 5 s).
  await lab.exec('srv', 'ip', 'addr', 'add', '10.213.1.3/24', 'dev', lab.ifName('s1'));
  // Waits for the state the server reaches; the bound (30 s ≫ the 5 s poll) only ends a broken run.
  const deadline = Date.now() + 30_000;
  while (!(await health()).turn.udpLocalAddresses.includes('10.213.1.3')) {
    assert.ok(Date.now() < deadline, 'the new address was never listened on');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const added = (await probe({
    mode: 'turn',
    server: '10.213.1.3',
    port: 3478,
    ...USER,
    peer: PEER,
  })) as unknown as TurnResult;
  assert.deepEqual(added.sources, ['10.213.1.3:3478']);
  assert.equal(added.relayed.address, '10.213.1.3');
  server.kill('SIGTERM');
});

test('RFC 5780 on the two addresses: each answer comes from the address it names in RESPONSE-ORIGIN', {
  skip: unavailable ?? false,
}, async () => {
  const server = itdaTurn(['--listen', '10.213.1.1:3479', '--rfc5780', '10.213.2.1']);
  await jsonLine(server, (l) => l.msg === 'TURN ready');
  const r = (await probe({ mode: 'rfc5780', server: '10.213.1.1', port: 3479 })) as {
    plain: { source: string; responseOrigin: string };
    changed: { source: string; responseOrigin: string };
    otherAddress: string;
  };
  assert.equal(r.plain.source, '10.213.1.1:3479');
  assert.equal(r.plain.responseOrigin, r.plain.source);
  assert.match(r.otherAddress, /^10\.213\.2\.1:\d+$/);
  assert.equal(r.changed.source, r.otherAddress, 'CHANGE-REQUEST (IP and port): from the other address');
  assert.equal(r.changed.responseOrigin, r.changed.source);
  server.kill('SIGTERM');
});
