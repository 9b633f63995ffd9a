/** `itda nat-check`: its arguments, and a real run (the real bin) against an RFC 5780 server on loopback. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TurnServer } from '@itda/turn';
import type { NatReport } from '@itda/turn/client';
import { runCli } from './cli.ts';
import { parseServer } from './nat-check-cli.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/itda.js', import.meta.url));
/** Only catches a hang: starting Node on a loaded 2-core machine took over 10 s (cli.test.ts). */
const BIN_TIMEOUT_MS = 60_000;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} } };
}

test('--server takes host, host:port, IPv4, bracketed and bare IPv6; port 3478 by default', () => {
  assert.deepEqual(parseServer('stun.example.org'), { address: 'stun.example.org', port: 3478 });
  assert.deepEqual(parseServer('10.0.0.1:3479'), { address: '10.0.0.1', port: 3479 });
  assert.deepEqual(parseServer('[::1]:5000'), { address: '::1', port: 5000 });
  assert.deepEqual(parseServer('[2001:db8::1]'), { address: '2001:db8::1', port: 3478 });
  assert.deepEqual(parseServer('2001:db8::1'), { address: '2001:db8::1', port: 3478 });
  for (const bad of ['', ':3478', 'host:0', 'host:65536', 'host:x', '[::1', 'a b:1:2']) {
    assert.equal(parseServer(bad), undefined, bad);
  }
});

test('usage errors exit 2 and say what is wrong; --help explains RFC 5780', async () => {
  const missing = io();
  assert.deepEqual(await runCli(['nat-check'], missing.io), { code: 2 });
  assert.match(missing.err.join(''), /--server is required/);
  assert.match(missing.err.join(''), /itda nat-check --help/);
  const bad = io();
  assert.deepEqual(await runCli(['nat-check', '--server', 'x', '--timeout', 'soon'], bad.io), { code: 2 });
  assert.match(bad.err.join(''), /--timeout/);
  const help = io();
  assert.deepEqual(await runCli(['nat-check', '--help'], help.io), { code: 0 });
  assert.match(help.out.join(''), /RFC 5780/);
  const viaHelp = io();
  assert.deepEqual(await runCli(['help', 'nat-check'], viaHelp.io), { code: 0 });
  assert.equal(viaHelp.out.join(''), help.out.join(''));
});

test('`itda nat-check --json` (the real bin) against an RFC 5780 server; words without --json', async () => {
  const server = new TurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    relayIp: '127.0.0.1',
    rfc5780: { alternateIp: '127.0.0.2' },
  });
  await server.start();
  try {
    const at = `127.0.0.1:${server.addresses[0]?.port}`;
    const { stdout } = await run(process.execPath, [BIN, 'nat-check', '--server', at, '--json'], {
      timeout: BIN_TIMEOUT_MS,
    });
    const report = JSON.parse(stdout) as NatReport;
    assert.equal(report.udp, true);
    assert.equal(report.rfc5780, true);
    assert.equal(report.mapping, 'none');
    assert.equal(report.filtering, 'endpoint-independent');
    const words = io();
    assert.deepEqual(await runCli(['nat-check', '--server', at], words.io), { code: 0 });
    assert.match(words.out.join(''), /not behind a NAT[\s\S]*mapping {4}none/);
  } finally {
    await server.close();
  }
});
