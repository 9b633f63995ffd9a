/**
 * A lab client's view of its NAT (run in a client namespace, internet.ts): from one UDP
 * socket on port 40000 it asks the server's echo (nat-echo.ts) at both addresses and
 * both ports what source it sees; asks for a reply from the other address (filtering);
 * and tries TCP to 443 and 80. Prints one JSON line:
 * `{ udp: { "<dest>": "<seen>" | null }, otherAddress: boolean, tcp443: bool, tcp80: bool }`.
 * Usage: node nat-probe.ts <address1> <address2>
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const [a1 = '', a2 = ''] = process.argv.slice(2);
const socket = createSocket('udp4');
const answers = new Map<string, string>();
let otherAddress = false;
socket.on('message', (msg) => {
  try {
    const { seen, at } = JSON.parse(msg.toString()) as { seen: string; at: string };
    if (at.startsWith(a2) && answers.has('filter')) otherAddress = true;
    else answers.set(at, seen);
  } catch {
    // not ours
  }
});
await new Promise<void>((resolve) => socket.bind(40000, '0.0.0.0', resolve));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const destinations = [`${a1}:3478`, `${a2}:3478`, `${a1}:3479`];
// A few rounds: UDP may be lost, and a blocked path stays silent.
for (let round = 0; round < 3; round++) {
  for (const d of destinations) {
    if (answers.has(d)) continue;
    const [host = '', port = ''] = d.split(':');
    socket.send('{}', Number(port), host);
  }
  await sleep(300);
}
answers.set('filter', '');
// Asked at a1:3479, answered from a2:3479: an endpoint-dependent filter drops it.
for (let i = 0; i < 3; i++) {
  socket.send(JSON.stringify({ replyFrom: a2 }), 3479, a1);
  await sleep(200);
}
answers.delete('filter');
const tcp = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect({ host: a1, port, timeout: 2000 });
    c.on('data', () => {
      c.destroy();
      resolve(true);
    });
    c.on('timeout', () => {
      c.destroy();
      resolve(false);
    });
    c.on('error', () => resolve(false));
  });
const result = {
  udp: Object.fromEntries(destinations.map((d) => [d, answers.get(d) ?? null])),
  otherAddress,
  tcp443: await tcp(443),
  tcp80: await tcp(80),
};
process.stdout.write(`${JSON.stringify({ result })}\n`);
socket.close();
