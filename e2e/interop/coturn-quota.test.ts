/**
 * Quotas against coturn's own client: `turnutils_uclient -m 10` (10 clients, each with an
 * RTP and an RTCP allocation: 20 for one static user, all from 127.0.0.1) against
 * `itda turn --user u:p` with its default quotas. coturn has no per-user limit by
 * default; itda's defaults (docs/turn.md, "Quotas") must let such a shared account through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CliResult, runCli } from '@itda/server';
import { type CoturnPeer, coturnMissing, relayPortRange, runUclient, startCoturnPeer } from './coturn.ts';

const missing = coturnMissing();

type RunningTurn = Extract<CliResult, { turn: unknown }>['turn'];

describe('turnutils_uclient against `itda turn` default quotas', { skip: missing }, () => {
  let turn: RunningTurn;
  let peer: CoturnPeer;

  before(async () => {
    const range = relayPortRange(200);
    const out: string[] = [];
    const result = await runCli(
      [
        'turn',
        '--listen',
        '127.0.0.1:0',
        '--user',
        'u:p',
        '--allow-loopback-peers',
        '--min-port',
        String(range.min),
        '--max-port',
        String(range.max),
        '--log-level',
        'error',
      ],
      { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} },
    );
    assert.ok('turn' in result, out.join(''));
    if (!('turn' in result)) return;
    turn = result.turn;
    peer = await startCoturnPeer();
  });

  after(async () => {
    await peer?.close();
    await turn?.close();
  });

  test('uclient -m 10 with one static user: 20 allocations, none refused with 486, no loss', async () => {
    const port = turn.addresses.find((a) => a.transport === 'udp')?.port ?? 0;
    const r = await runUclient([
      '-u',
      'u',
      '-w',
      'p',
      '-e',
      '127.0.0.1',
      '-r',
      String(peer.port),
      '-n',
      '10',
      '-m',
      '10',
      '-l',
      '120',
      '-z',
      '5',
      '-p',
      String(port),
      '127.0.0.1',
    ]);
    const m = turn.server.metrics;
    const refused = m.requests.filter((q) => q.method === 'allocate' && q.result === '486');
    assert.deepEqual(refused, [], r.output.slice(-2000));
    assert.equal(r.exitCode, 0, r.output.slice(-2000));
    assert.ok(m.allocationsCreated >= 20, `${m.allocationsCreated} allocations`);
    assert.ok(r.sent > 0, r.output.slice(-2000));
    assert.equal(r.lost, 0, r.output.slice(-2000));
  });
});
