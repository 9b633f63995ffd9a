/**
 * The network lab leaves nothing behind when its run is stopped: a process that built a lab
 * (a namespace, a veth pair) and is then sent Ctrl-C (SIGINT) or SIGTERM ends, and its
 * namespaces and links are gone. Needs root and `ip`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jsonLine, netLabUnavailable } from './harness/netns.ts';

const run = promisify(execFile);
const unavailable = netLabUnavailable(['ip']);
const NETNS = fileURLToPath(new URL('./harness/netns.ts', import.meta.url));

/** A lab of two namespaces and a link, built by a child process that then waits to be stopped. */
const BUILD = `
import { NetLab } from ${JSON.stringify(NETNS)};
const lab = new NetLab();
await lab.ns('a');
await lab.ns('b');
await lab.link({ ns: 'a', name: 'x0', cidr: '10.249.0.1/30' }, { ns: 'b', name: 'x1', cidr: '10.249.0.2/30' });
console.log(JSON.stringify({ ready: true, names: [lab.nsName('a'), lab.nsName('b')] }));
setInterval(() => {}, 1000);
`;

async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} to a process with a lab: it ends, and its namespaces are gone`, { skip: unavailable }, async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', BUILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    try {
      const { names } = await jsonLine<{ names: string[] }>(child, (l) => l.ready === true, 60_000);
      const before = await namespaces();
      for (const n of names) assert.ok(before.includes(n), `${n} was made`);
      child.kill(signal);
      const [code, by] = await exited;
      assert.deepEqual([code, by], [null, signal], 'the signal still ends the process');
      const after = await namespaces();
      for (const n of names) assert.ok(!after.includes(n), `${n} is gone`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}
