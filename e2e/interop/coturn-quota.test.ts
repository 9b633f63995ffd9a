/**
 * Quotas and the own-relay exception against coturn's own client, `turnutils_uclient`,
 * and `itda turn --user u:p` with its default quotas, everything from 127.0.0.1:
 *
 * - `-m 10` against an echo peer: more allocations than the old per-user default of 10
 *   (15 here: uclient's RTP/RTCP pairs) for one static user. coturn has no per-user limit
 *   by default; itda's defaults (docs/turn.md, "Quotas") let such a shared account through.
 * - `-y -m 10`, client to client: each client's peer is another client's relay on
 *   127.0.0.1, which the default peer policy refuses (no `--allow-loopback-peers`) — the
 *   relays reach each other only through the exception for the server's own live relays
 *   (relay-only permissions and channels, docs/turn.md, "Peer address policy").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CliResult, runCli } from '@itda/server';
import { type CoturnPeer, coturnMissing, relayPortRange, runUclient, startCoturnPeer } from './coturn.ts';

const missing = coturnMissing();

type RunningTurn = Extract<CliResult, { turn: unknown }>['turn'];

/** `itda turn --user u:p` on 127.0.0.1 with default quotas and 200 relay ports. */
async function itdaTurn(extra: readonly string[]): Promise<RunningTurn> {
  const range = relayPortRange(200);
  const out: string[] = [];
  const result = await runCli(
    [
      'turn',
      '--listen',
      '127.0.0.1:0',
      '--user',
      'u:p',
      '--min-port',
      String(range.min),
      '--max-port',
      String(range.max),
      '--log-level',
      'error',
      ...extra,
    ],
    { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} },
  );
  assert.ok('turn' in result, out.join(''));
  return (result as { turn: RunningTurn }).turn;
}

const udpPort = (turn: RunningTurn): number => turn.addresses.find((a) => a.transport === 'udp')?.port ?? 0;

/** uclient: 10 clients, 10 messages of 120 bytes each, 5 ms apart. */
const LOAD = ['-n', '10', '-m', '10', '-l', '120', '-z', '5'];

function refusedAllocates(turn: RunningTurn): unknown[] {
  return turn.server.metrics.requests.filter(
    (q) => q.method === 'allocate' && q.result !== 'success' && q.result !== '401',
  );
}

describe('turnutils_uclient against `itda turn` default quotas', { skip: missing }, () => {
  let toPeer: RunningTurn;
  let between: RunningTurn;
  let peer: CoturnPeer;

  before(async () => {
    toPeer = await itdaTurn(['--allow-loopback-peers']);
    between = await itdaTurn([]);
    peer = await startCoturnPeer();
  });

  after(async () => {
    await peer?.close();
    await toPeer?.close();
    await between?.close();
  });

  test('uclient -m 10 with one static user: more than 10 allocations, none refused, no loss', async () => {
    const r = await runUclient([
      '-u',
      'u',
      '-w',
      'p',
      '-e',
      '127.0.0.1',
      '-r',
      String(peer.port),
      ...LOAD,
      '-p',
      String(udpPort(toPeer)),
      '127.0.0.1',
    ]);
    const m = toPeer.server.metrics;
    assert.deepEqual(refusedAllocates(toPeer), [], r.output.slice(-2000));
    assert.equal(r.exitCode, 0, r.output.slice(-2000));
    assert.ok(m.allocationsCreated > 10, `${m.allocationsCreated} allocations`);
    assert.ok(r.sent > 0, r.output.slice(-2000));
    assert.equal(r.lost, 0, r.output.slice(-2000));
  });

  test('uclient -y -m 10, relay to relay on a loopback relay IP without --allow-loopback-peers: no loss', async () => {
    const r = await runUclient(['-y', '-u', 'u', '-w', 'p', ...LOAD, '-p', String(udpPort(between)), '127.0.0.1']);
    const m = between.server.metrics;
    assert.deepEqual(refusedAllocates(between), [], r.output.slice(-2000));
    assert.equal(r.exitCode, 0, r.output.slice(-2000));
    assert.ok(r.sent > 0, r.output.slice(-2000));
    assert.equal(r.received, r.sent, r.output.slice(-2000));
    assert.equal(r.lost, 0, r.output.slice(-2000));
    assert.ok(m.packetsToPeer >= r.sent, `relayed ${m.packetsToPeer} of ${r.sent}`);
    assert.equal(m.dropped.forbidden_peer ?? 0, 0);
  });
});
