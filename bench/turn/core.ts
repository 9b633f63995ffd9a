/**
 * `node bench/turn/core.ts [--ops 1000000]` — the JavaScript cost of the sans-IO core's
 * hot paths, without sockets: a `TurnCore` on a ManualClock with an I/O that only counts
 * bytes, one UDP client with an allocation, a channel to one peer and a permission for
 * another, then ns per call of: Binding, ChannelData → peer, Send indication → peer,
 * peer → ChannelData, peer → Data indication. One thread, in-process; numbers are per
 * call on this machine and include the core's own allocations and their GC. Compare
 * them with the CPU per packet of `npm run bench:turn` to see how much of a relayed
 * packet is the core's (bench/RESULTS.md).
 */
import { parseArgs } from 'node:util';
import { ManualClock } from '@itda/common';
import {
  AttrType,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  longTermKey,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { type RelayHandle, TurnCore, type TurnIo } from '@itda/turn';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '1000000' } } });
const ops = Number(values.ops);
if (!Number.isInteger(ops) || ops < 1000 || ops > 100_000_000) throw new Error('--ops must be 1,000–100,000,000');

const relay: RelayHandle = { address: '192.0.2.1', port: 50000, family: 'IPv4' };
let answer: Uint8Array | undefined;
let bytesOut = 0;
const io: TurnIo<RelayHandle, never> = {
  sendToClient(_client, head, body) {
    answer = head;
    bytesOut += head.length + (body?.length ?? 0);
  },
  sendToPeer(_relay, _data, _offset, length) {
    bytesOut += length;
  },
  bindRelay(request) {
    core.relayBound(request.id, relay);
  },
  closeRelay() {},
  closeStream() {},
};
const clock = new ManualClock(0);
const core: TurnCore<RelayHandle, never> = new TurnCore({
  io,
  clock,
  options: { users: { bench: 'secret' }, allowedPeers: ['198.51.100.0/24'] },
  relayAddresses: { IPv4: '192.0.2.1' },
});
const udp = core.addEndpoint({ transport: 'udp', address: '192.0.2.1', port: 3478, family: 'IPv4' });
const CLIENT = '203.0.113.5';
const CLIENT_PORT = 40000;
const CHANNEL_PEER = '198.51.100.1';
const SEND_PEER = '198.51.100.2';
const PEER_PORT = 5000;

const peer = (address: string): StunAttribute =>
  ({ type: AttrType.XorPeerAddress, value: { family: 'IPv4', address, port: PEER_PORT } }) as StunAttribute;
let nonce = '';
/** One request with long-term credentials (after a first 401 for the nonce); the answer. */
function request(method: number, attributes: StunAttribute[]): DecodedStunMessage {
  const send = (withAuth: boolean): DecodedStunMessage => {
    const attrs = [...attributes];
    if (withAuth) {
      attrs.push(
        { type: AttrType.Username, value: 'bench' } as StunAttribute,
        { type: AttrType.Realm, value: 'itda' } as StunAttribute,
        { type: AttrType.Nonce, value: nonce } as StunAttribute,
      );
    }
    const msg = { class: StunClass.Request, method, transactionId: createTransactionId(), attributes: attrs };
    const bytes = encodeMessage(msg, withAuth ? { integrityKey: longTermKey('bench', 'itda', 'secret') } : {});
    core.handleUdp(udp, bytes, CLIENT, CLIENT_PORT);
    const res = decodeMessage(answer ?? new Uint8Array(0));
    nonce = res.get(AttrType.Nonce) ?? nonce;
    return res;
  };
  const first = send(nonce !== '');
  return first.class === StunClass.ErrorResponse ? send(true) : first;
}
const ok = (res: DecodedStunMessage, what: string): void => {
  if (res.class !== StunClass.SuccessResponse)
    throw new Error(`${what}: ${JSON.stringify(res.get(AttrType.ErrorCode))}`);
};
ok(request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 } as StunAttribute]), 'Allocate');
ok(
  request(StunMethod.ChannelBind, [
    { type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute,
    peer(CHANNEL_PEER),
  ]),
  'ChannelBind',
);
ok(request(StunMethod.CreatePermission, [peer(SEND_PEER)]), 'CreatePermission');

const payload = Buffer.alloc(160, 7);
const binding = Buffer.from(
  encodeMessage({
    class: StunClass.Request,
    method: StunMethod.Binding,
    transactionId: createTransactionId(),
    attributes: [],
  }),
);
const bindingFp = Buffer.from(
  encodeMessage(
    { class: StunClass.Request, method: StunMethod.Binding, transactionId: createTransactionId(), attributes: [] },
    { fingerprint: true },
  ),
);
const channelData = Buffer.from(encodeChannelData(0x4000, payload));
const sendIndication = Buffer.from(
  encodeMessage({
    class: StunClass.Indication,
    method: StunMethod.Send,
    transactionId: createTransactionId(),
    attributes: [peer(SEND_PEER), { type: AttrType.Data, value: payload } as StunAttribute],
  }),
);

const paths: [string, () => void][] = [
  ['Binding', () => core.handleUdp(udp, binding, CLIENT, CLIENT_PORT)],
  ['Binding with FINGERPRINT', () => core.handleUdp(udp, bindingFp, CLIENT, CLIENT_PORT)],
  ['ChannelData → peer', () => core.handleUdp(udp, channelData, CLIENT, CLIENT_PORT)],
  ['Send indication → peer', () => core.handleUdp(udp, sendIndication, CLIENT, CLIENT_PORT)],
  ['peer → ChannelData', () => core.handlePeer(relay, payload, CHANNEL_PEER, PEER_PORT)],
  ['peer → Data indication', () => core.handlePeer(relay, payload, SEND_PEER, PEER_PORT)],
];
process.stdout.write(`bench/turn/core — node ${process.version}, ${ops.toLocaleString('en-US')} calls per path\n`);
for (const [name, fn] of paths) {
  const before = core.metrics.snapshot();
  for (let i = 0; i < Math.min(ops, 100_000); i++) fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / ops;
  const after = core.metrics.snapshot();
  const dropped =
    Object.values(after.dropped).reduce((a, b) => a + b, 0) - Object.values(before.dropped).reduce((a, b) => a + b, 0);
  if (dropped > 0) throw new Error(`${name}: ${dropped} packets dropped: the path did not run`);
  process.stdout.write(`${name.padEnd(26)} ${ns.toFixed(0).padStart(6)} ns/call\n`);
}
core.close();
if (bytesOut === 0) throw new Error('nothing was sent');
