/**
 * `itda serve` in its default configuration on a host whose first address is one the
 * peer policy refuses: TURN relays from that address, and a participant must not reach
 * the host's other UDP ports through its own relay (ChannelBind to it, then Send, and
 * the answers back). The server runs in a child process inside a network namespace of its
 * own (`unshare --net`) with an interface holding 198.18.0.1 (RFC 2544's
 * benchmarking range): nothing is added to the namespace the tests run in, and nothing is
 * left behind when the child ends, even on failure. Needs root (CAP_NET_ADMIN); skipped
 * otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCENARIO = fileURLToPath(new URL('./turn-private-relay.scenario.ts', import.meta.url));
/** The child's whole run: server start, join, a few packets. Generous for a loaded machine. */
const CHILD_BOUND_MS = 60_000;

/**
 * Adds interface itda-t0 to the (new, private) namespace: a dummy interface, or — on a
 * kernel without the dummy module — one end of a veth pair whose other end stays there too.
 */
const ADD_INTERFACE =
  '{ ip link add itda-t0 type dummy 2>/dev/null || ' +
  '{ ip link add itda-t0 type veth peer name itda-t1 && ip link set itda-t1 up; }; }';

function namespaceSkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace with an interface of its own';
  const probe = spawnSync('unshare', ['--net', '--', 'bash', '-c', ADD_INTERFACE], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  if (probe.status !== 0) return 'cannot create a network namespace with a dummy or veth interface (unshare, ip)';
  return false;
}

test('default config, relay IP a refused address (198.18.0.1): a ChannelBind to its own relay reaches no other port of it', {
  skip: namespaceSkip(),
}, async () => {
  const setup = [
    'ip link set lo up',
    ADD_INTERFACE,
    'ip addr add 198.18.0.1/24 dev itda-t0',
    'ip link set itda-t0 up',
    'exec "$0" "$1" 198.18.0.1',
  ].join(' && ');
  const child = spawn('unshare', ['--net', '--', 'bash', '-c', setup, process.execPath, SCENARIO], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_BOUND_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `scenario failed (exit ${code}):\n${err.slice(-3000)}`);
  const line = out.trim().split('\n').at(-1) ?? '';
  const result = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(result, {
    relayIp: '198.18.0.1',
    createPermission: 403,
    channelBindOwnRelay: 0,
    sendToService: 'dropped',
    serviceToClient: 'dropped',
  });
});
