/**
 * A STUN/TURN client run as a process inside a lab namespace (netns.ts) by
 * e2e/turn-multihomed.test.ts. Its UDP socket is not connected, so it sees every datagram
 * that reaches it, whatever its source, and reports each source: a server must answer from
 * the address it was asked on.
 *
 *   node turn-probe.ts '{"mode":"turn","server":"10.213.1.1","port":3478,"user":"alice",
 *                        "password":"secret","peer":{"address":"10.213.1.2","port":7000}}'
 *   node turn-probe.ts '{"mode":"rfc5780","server":"10.213.1.1","port":3478}'
 *
 * Prints one JSON line with `result` (exit 0), or with `error` (exit 1) when an answer did
 * not come within the bound.
 */
import {
  AttrType,
  createTransactionId,
  type DecodedStunMessage,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { TestConn, TestTurnClient } from '../../packages/turn/src/node/test-client.ts';

interface ProbeArgs {
  mode: 'turn' | 'rfc5780';
  server: string;
  port: number;
  user?: string;
  password?: string;
  peer?: { address: string; port: number };
}

/** How long one answer may take: generous (a loaded machine), it only ends a broken run. */
const ANSWER_MS = 5000;

const args = JSON.parse(process.argv[2] ?? '{}') as ProbeArgs;

function binding(conn: TestConn, attributes: StunAttribute[] = []): Promise<DecodedStunMessage> {
  const transactionId = createTransactionId();
  conn.send(encodeMessage({ class: StunClass.Request, method: StunMethod.Binding, transactionId, attributes }));
  return nextMatching(conn, (m) => Buffer.from(m.transactionId).equals(Buffer.from(transactionId)));
}

async function nextMatching(conn: TestConn, ok: (m: DecodedStunMessage) => boolean): Promise<DecodedStunMessage> {
  for (;;) {
    const m = decodeMessage(await conn.next(ANSWER_MS));
    if (ok(m)) return m;
  }
}

async function turn(conn: TestConn): Promise<Record<string, unknown>> {
  const mapped = (await binding(conn)).get(AttrType.XorMappedAddress);
  const client = new TestTurnClient(conn, args.user ?? '', args.password ?? '');
  const alloc = await client.request(StunMethod.Allocate, [
    { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
  ]);
  if (alloc.class !== StunClass.SuccessResponse) throw new Error(`Allocate: ${alloc.get(AttrType.ErrorCode)?.code}`);
  const relayed = alloc.get(AttrType.XorRelayedAddress);
  const peer = args.peer as { address: string; port: number };
  const peerAttr = { type: AttrType.XorPeerAddress, value: { family: 'IPv4', ...peer } } as StunAttribute;
  const perm = await client.request(StunMethod.CreatePermission, [peerAttr]);
  if (perm.class !== StunClass.SuccessResponse)
    throw new Error(`CreatePermission: ${perm.get(AttrType.ErrorCode)?.code}`);
  // Send indication → peer (an echo) → Data indication.
  conn.send(
    encodeMessage({
      class: StunClass.Indication,
      method: StunMethod.Send,
      transactionId: createTransactionId(),
      attributes: [peerAttr, { type: AttrType.Data, value: Buffer.from('via indication') } as StunAttribute],
    }),
  );
  const data = await nextMatching(conn, (m) => m.method === StunMethod.Data);
  const dataIndication = Buffer.from(data.get(AttrType.Data) ?? []).toString();
  // ChannelBind, then ChannelData both ways.
  const bound = await client.request(StunMethod.ChannelBind, [
    { type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute,
    peerAttr,
  ]);
  if (bound.class !== StunClass.SuccessResponse) throw new Error(`ChannelBind: ${bound.get(AttrType.ErrorCode)?.code}`);
  conn.send(encodeChannelData(0x4000, Buffer.from('via channel')));
  const back = decodeChannelData(await conn.next(ANSWER_MS));
  return {
    mapped,
    relayed,
    dataIndication,
    channelData: Buffer.from(back?.data ?? []).toString(),
    sources: [...new Set(conn.sources)],
    answers: conn.sources.length,
  };
}

/** RFC 5780: a Binding, then one with CHANGE-REQUEST (IP and port): who answered each, and what it said it was. */
async function rfc5780(conn: TestConn): Promise<Record<string, unknown>> {
  const plain = await binding(conn);
  const before = conn.sources.length;
  const changed = await binding(conn, [
    { type: AttrType.ChangeRequest, value: { changeIp: true, changePort: true } } as StunAttribute,
  ]);
  const origin = (m: DecodedStunMessage): string => {
    const o = m.get(AttrType.ResponseOrigin);
    return `${o?.address}:${o?.port}`;
  };
  const other = plain.get(AttrType.OtherAddress);
  return {
    plain: { source: conn.sources[before - 1], responseOrigin: origin(plain) },
    changed: { source: conn.sources.at(-1), responseOrigin: origin(changed) },
    otherAddress: `${other?.address}:${other?.port}`,
  };
}

const conn = await TestConn.open('udp', args.server, args.port, '0.0.0.0');
try {
  const result = args.mode === 'rfc5780' ? await rfc5780(conn) : await turn(conn);
  process.stdout.write(`${JSON.stringify({ result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message, sources: conn.sources })}\n`);
  process.exitCode = 1;
} finally {
  conn.close();
}
