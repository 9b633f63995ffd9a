/**
 * The Node `BindingProbe` of a NAT check (nat-behaviour.ts): one unconnected UDP socket,
 * bound to the local address on the route to the server, that sends Binding requests
 * to any of the server's addresses and takes answers from any of them (an RFC 5780
 * server answers CHANGE-REQUEST from another address). Requests are retransmitted with
 * a doubling interval (250 ms, then 500, 1000, …) until `timeoutMs`; no answer by then
 * is the answer "none".
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  AttrType,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  isStunMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import {
  type BindingAnswer,
  type BindingProbe,
  discoverNatBehaviour,
  type NatReport,
  type TransportAddress,
} from './nat-behaviour.ts';
import { natReport } from './nat-words.ts';

export interface UdpProbeOptions {
  /** How long one request waits for its answer, ms. Default 3000 (1 – 60,000). */
  timeoutMs?: number;
  /** First retransmission after this many ms, doubling after. Default 250. */
  rtoMs?: number;
}

/** Where a Binding answer can be read from: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS. */
function answerOf(msg: DecodedStunMessage, from: TransportAddress): BindingAnswer | undefined {
  const mapped = msg.get(AttrType.XorMappedAddress) ?? msg.get(AttrType.MappedAddress);
  if (mapped === undefined) return undefined;
  const other = msg.get(AttrType.OtherAddress);
  return {
    mapped: { address: mapped.address, port: mapped.port },
    other: other === undefined ? undefined : { address: other.address, port: other.port },
    from,
  };
}

/** The local IP the kernel would send from towards `server` (a connected socket's name; nothing is sent). */
async function routeAddress(family: 'udp4' | 'udp6', server: TransportAddress): Promise<string> {
  const s = createSocket(family);
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(server.port, server.address, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

export class UdpBindingProbe implements BindingProbe {
  readonly local: TransportAddress;
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #rtoMs: number;
  readonly #waiting = new Map<string, (answer: BindingAnswer | undefined) => void>();
  #closed = false;

  private constructor(socket: Socket, local: TransportAddress, options: UdpProbeOptions) {
    this.#socket = socket;
    this.local = local;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#rtoMs = options.rtoMs ?? 250;
    socket.on('message', (bytes, rinfo) => this.#receive(bytes, { address: rinfo.address, port: rinfo.port }));
    // An ICMP "port unreachable" surfaces as an error on some platforms: it is no answer, not a failure.
    socket.on('error', () => undefined);
  }

  /** Resolves `server` (a name or an IP), binds a socket on the route to it. */
  static async open(
    server: TransportAddress,
    options: UdpProbeOptions = {},
  ): Promise<{ probe: UdpBindingProbe; server: TransportAddress }> {
    const timeoutMs = options.timeoutMs ?? 3000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
      throw new RangeError('timeoutMs must be an integer from 1 to 60000');
    }
    const address = isIP(server.address) === 0 ? (await lookup(server.address)).address : server.address;
    const resolved = { address, port: server.port };
    const family = isIP(address) === 6 ? 'udp6' : 'udp4';
    const localIp = await routeAddress(family, resolved);
    const socket = createSocket(family);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, localIp, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const local = { address: localIp, port: socket.address().port };
    return { probe: new UdpBindingProbe(socket, local, options), server: resolved };
  }

  bind(to: TransportAddress, change?: { changeIp: boolean; changePort: boolean }): Promise<BindingAnswer | undefined> {
    const transactionId = createTransactionId();
    const key = Buffer.from(transactionId).toString('hex');
    const attributes: StunAttribute[] =
      change === undefined ? [] : [{ type: AttrType.ChangeRequest, value: change } as StunAttribute];
    const bytes = encodeMessage(
      { class: StunClass.Request, method: StunMethod.Binding, transactionId, attributes },
      { fingerprint: true },
    );
    return new Promise((resolve) => {
      let rto = this.#rtoMs;
      let retransmit: NodeJS.Timeout | undefined;
      const send = (): void => {
        if (this.#closed) return;
        this.#socket.send(bytes, to.port, to.address, () => undefined);
        retransmit = setTimeout(send, rto);
        rto *= 2;
      };
      const finish = (answer: BindingAnswer | undefined): void => {
        clearTimeout(retransmit);
        clearTimeout(deadline);
        this.#waiting.delete(key);
        resolve(answer);
      };
      const deadline = setTimeout(() => finish(undefined), this.#timeoutMs);
      this.#waiting.set(key, finish);
      send();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const finish of [...this.#waiting.values()]) finish(undefined);
    this.#socket.close();
  }

  #receive(bytes: Buffer, from: TransportAddress): void {
    if (!isStunMessage(bytes)) return;
    let msg: DecodedStunMessage;
    try {
      msg = decodeMessage(bytes);
    } catch {
      return; // not a well-formed STUN message: not an answer
    }
    if (msg.method !== StunMethod.Binding || msg.class !== StunClass.SuccessResponse) return;
    const finish = this.#waiting.get(Buffer.from(msg.transactionId).toString('hex'));
    const answer = answerOf(msg, from);
    if (finish !== undefined && answer !== undefined) finish(answer);
  }
}

/**
 * `itda nat-check`: the whole RFC 5780 check against `server` (default port 3478), with
 * its finding in words. Takes about two `timeoutMs` on a filtering NAT (its silence is the finding), one when UDP is blocked.
 */
export async function checkNat(server: TransportAddress, options: UdpProbeOptions = {}): Promise<NatReport> {
  const { probe, server: resolved } = await UdpBindingProbe.open(server, options);
  try {
    return natReport(await discoverNatBehaviour(probe, resolved));
  } finally {
    probe.close();
  }
}
