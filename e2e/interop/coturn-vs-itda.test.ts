/**
 * Interop, the other way: coturn's own clients against itda's `TurnServer` on
 * 127.0.0.1 — `turnutils_stunclient` (Binding, and RFC 5780 behaviour discovery with
 * 127.0.0.2 as the alternate address) and `turnutils_uclient` over UDP, TCP and TLS
 * with long-term (`-u -w`) and TURN REST (`-W`) credentials, relaying to
 * `turnutils_peer` (an echo peer), with zero loss in uclient's own statistics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TurnServer } from '@itda/turn';
import {
  type CoturnPeer,
  coturnMissing,
  relayPortRange,
  runStunclient,
  runUclient,
  selfSignedCert,
  startCoturnPeer,
  type UclientResult,
} from './coturn.ts';

const missing = coturnMissing();
const SECRET = 'itda-rest-secret';
/** uclient: 2 clients (each with an RTP and an RTCP allocation), 40 messages of 200 bytes, 5 ms apart. */
const LOAD = ['-n', '40', '-m', '2', '-l', '200', '-z', '5'];

describe('coturn clients against itda TurnServer', { skip: missing }, () => {
  let turn: TurnServer;
  let peer: CoturnPeer;
  let dir: string;
  const port = (transport: 'udp' | 'tcp' | 'tls'): number => {
    const a = turn.addresses.find((x) => x.transport === transport && x.host === '127.0.0.1');
    assert.ok(a, `itda listens on ${transport}`);
    return a.port;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itda-interop-'));
    const cert = selfSignedCert(dir);
    const range = relayPortRange(1000);
    turn = new TurnServer({
      realm: 'itda',
      listen: [
        { transport: 'udp', host: '127.0.0.1', port: 0 },
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
        {
          transport: 'tls',
          host: '127.0.0.1',
          port: 0,
          cert: readFileSync(cert.certPath, 'utf8'),
          key: readFileSync(cert.keyPath, 'utf8'),
        },
      ],
      users: { alice: 'wonderland' },
      secrets: [SECRET, 'an-older-secret'],
      relayIp: '127.0.0.1',
      minPort: range.min,
      maxPort: range.max,
      allowLoopbackPeers: true,
      // 12 uclient runs at once, each with 2 clients × (RTP + RTCP) allocations.
      quotas: { allocationsPerUser: 100 },
      rfc5780: { alternateIp: '127.0.0.2' },
    });
    await turn.start();
    peer = await startCoturnPeer();
  });

  after(async () => {
    await Promise.all(runs.values());
    await peer?.close();
    await turn?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('turnutils_stunclient: Binding over UDP', async () => {
    const { code, output } = await runStunclient(['-p', String(port('udp')), '127.0.0.1']);
    assert.equal(code, 0, output);
    assert.match(output, /UDP reflexive addr: 127\.0\.0\.1:\d+/);
  });

  test('turnutils_stunclient -f: RFC 5780 behaviour discovery, answered from 127.0.0.2', async () => {
    const { code, output } = await runStunclient(['-f', '-p', String(port('udp')), '127.0.0.1']);
    assert.equal(code, 0, output);
    const primary = port('udp');
    assert.match(output, new RegExp(`Response origin: : 127\\.0\\.0\\.1:${primary}`));
    assert.match(output, /Other addr: : 127\.0\.0\.2:\d+/);
    // CHANGE-REQUEST (change IP and port) is answered from the other address.
    assert.match(output, /Response origin: : 127\.0\.0\.2:\d+/);
  });

  const credentials = {
    'long-term': ['-u', 'alice', '-w', 'wonderland'],
    rest: ['-u', 'ada', '-W', SECRET],
  } as const;
  const transports = { udp: [], tcp: ['-t'], tls: ['-t', '-S'] } as const;
  type Transport = keyof typeof transports;
  type Kind = keyof typeof credentials;
  const cases: { kind: Kind; transport: Transport; mode: 'send' | 'channel' }[] = [];
  for (const kind of Object.keys(credentials) as Kind[]) {
    for (const transport of Object.keys(transports) as Transport[]) {
      for (const mode of ['send', 'channel'] as const) cases.push({ kind, transport, mode });
    }
  }
  // uclient spends about 5 s per run whatever the load (its own timers), so every run
  // starts at once here and each test awaits its own.
  const runs = new Map<string, Promise<UclientResult>>();
  const key = (c: (typeof cases)[number]): string => `${c.kind}/${c.transport}/${c.mode}`;
  const startRuns = (): void => {
    for (const c of cases) {
      runs.set(
        key(c),
        runUclient([
          ...transports[c.transport],
          ...(c.mode === 'send' ? ['-s'] : []),
          ...credentials[c.kind],
          '-e',
          '127.0.0.1',
          '-r',
          String(peer.port),
          ...LOAD,
          '-p',
          String(port(c.transport)),
          '127.0.0.1',
        ]),
      );
    }
  };

  for (const c of cases) {
    const name = `turnutils_uclient over ${c.transport}, ${c.kind} credentials, ${c.mode === 'send' ? 'Send/Data indications (-s)' : 'channels'}: no loss`;
    // coturn's uclient binds channels in RFC 5766's range 0x4000–0x7FFF (e.g. 0x73d7),
    // wider than RFC 8656 §12's 0x4000–0x4FFF: itda accepts it (legacyChannelNumbers).
    test(name, async () => {
      if (runs.size === 0) startRuns();
      const r = await (runs.get(key(c)) as Promise<UclientResult>);
      assert.equal(r.exitCode, 0, r.output.slice(-2000));
      assert.ok(r.sent > 0, r.output.slice(-2000));
      assert.equal(r.received, r.sent, r.output.slice(-2000));
      assert.equal(r.lost, 0);
    });
  }

  // While a TLS write is in flight Node queues the next ones; flushed together they would
  // share one TLS record, and uclient keeps only the first ChannelData message of a record
  // (13–14 of 80 lost this way before itda wrote one record per message). Stalling the
  // server's event loop (it runs in this process) makes every run queue messages.
  test('turnutils_uclient over tls, channels, while the server’s event loop stalls 30 ms in every 100: no loss', async () => {
    await Promise.all(runs.values());
    const stall = setInterval(() => {
      const until = Date.now() + 30;
      while (Date.now() < until) {
        // busy: the relay's datagrams from the peer queue up meanwhile
      }
    }, 100);
    let r: UclientResult;
    try {
      r = await runUclient([
        ...transports.tls,
        ...credentials['long-term'],
        '-e',
        '127.0.0.1',
        '-r',
        String(peer.port),
        ...LOAD,
        '-p',
        String(port('tls')),
        '127.0.0.1',
      ]);
    } finally {
      clearInterval(stall);
    }
    assert.equal(r.exitCode, 0, r.output.slice(-2000));
    assert.ok(r.sent > 0, r.output.slice(-2000));
    assert.equal(r.received, r.sent, r.output.slice(-2000));
    assert.equal(r.lost, 0);
  });

  test('turnutils_uclient with a wrong password gets no allocation', async () => {
    const r = await runUclient([
      '-u',
      'alice',
      '-w',
      'not-it',
      '-e',
      '127.0.0.1',
      '-r',
      String(peer.port),
      '-n',
      '1',
      '-p',
      String(port('udp')),
      '127.0.0.1',
    ]);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.output, /Cannot complete Allocation/);
    assert.ok((turn.metrics.authFailures.bad_integrity ?? 0) > 0);
  });
});
