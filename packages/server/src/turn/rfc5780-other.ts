/**
 * The RFC 5780 other address of a STUN server this process hands out, learnt by asking
 * it: one Binding request, whose answer names OTHER-ADDRESS when the server runs in
 * RFC 5780 mode (`itda turn --rfc5780 <second-ip>`, coturn with two `listening-ip`s).
 * The web app's network check sends STUN to both addresses to tell whether the browser's
 * NAT keeps its port for every destination. Asked only of a configured host (never one
 * a request named), at most once per `ttlMs`; a failure is remembered for as long.
 */
import { UdpBindingProbe } from '@itda/turn/client';
import { bracketHost } from './ice-servers.ts';

export interface OtherStunOptions {
  host: string;
  port: number;
  /** How long an answer (or its absence) is kept, ms. Default 10 minutes. */
  ttlMs?: number;
  /** How long to wait for the answer, ms. Default 1000. */
  timeoutMs?: number;
  now?: () => number;
}

/** A function that resolves to `stun:<other-ip>:<other-port>`, or undefined when the server has no other address. */
export function rfc5780OtherStun(options: OtherStunOptions): () => Promise<string | undefined> {
  const ttlMs = options.ttlMs ?? 600_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; value: Promise<string | undefined> } | undefined;
  const ask = async (): Promise<string | undefined> => {
    let opened: Awaited<ReturnType<typeof UdpBindingProbe.open>> | undefined;
    try {
      opened = await UdpBindingProbe.open(
        { address: options.host, port: options.port },
        { timeoutMs: options.timeoutMs ?? 1000 },
      );
      const answer = await opened.probe.bind(opened.server);
      const other = answer?.other;
      if (other === undefined || other.address === opened.server.address) return undefined;
      return `stun:${bracketHost(other.address)}:${other.port}`;
    } catch {
      return undefined; // no route, no name: no second address to offer
    } finally {
      opened?.probe.close();
    }
  };
  return () => {
    const t = now();
    if (cached === undefined || t - cached.at >= ttlMs) cached = { at: t, value: ask() };
    return cached.value;
  };
}
