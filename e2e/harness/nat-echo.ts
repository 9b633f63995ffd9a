/**
 * The lab server's echo (run in `srv`, internet.ts): answers each UDP datagram and TCP
 * connection with the source address:port it saw, so a client learns its NAT mapping.
 * UDP on both server addresses, ports 3478 and 3479; a datagram `{"replyFrom":"<addr>"}`
 * is answered from that other address instead (to test the NAT's filtering). TCP on
 * 443 and 80. Prints `{"ready":true}` when listening.
 * Usage: node nat-echo.ts <address1> <address2>
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';

const [a1 = '', a2 = ''] = process.argv.slice(2);
const udp = new Map<string, Socket>();
let pending = 0;
const ready = (): void => {
  if (--pending === 0) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
};
for (const address of [a1, a2]) {
  for (const port of [3478, 3479]) {
    pending++;
    const s = createSocket('udp4');
    udp.set(`${address}:${port}`, s);
    s.on('message', (msg, rinfo) => {
      let replyFrom: string | undefined;
      try {
        replyFrom = (JSON.parse(msg.toString()) as { replyFrom?: string }).replyFrom;
      } catch {
        replyFrom = undefined;
      }
      const out = replyFrom === undefined ? s : udp.get(`${replyFrom}:${port}`);
      const seen = JSON.stringify({ seen: `${rinfo.address}:${rinfo.port}`, at: `${address}:${port}` });
      out?.send(seen, rinfo.port, rinfo.address);
    });
    s.bind(port, address, ready);
  }
}
for (const port of [443, 80]) {
  pending++;
  createServer((c) => {
    c.end(JSON.stringify({ seen: `${c.remoteAddress}:${c.remotePort}`, at: `tcp:${port}` }));
  }).listen(port, a1, ready);
}
