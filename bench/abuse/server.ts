/**
 * The itda server under attack: bench/sfu's `ItdaTarget` (its own process, so its CPU and
 * RSS are its own) with what the attacks need on — TURN over UDP and TCP, ICE-TCP, the
 * CLI's default log level with every record written and counted — and its addresses read
 * from its own `/healthz`.
 *
 * Relay ports: 20000–20879, 880 ports, which attack 5's 990 allocation attempts fill. The
 * review's server had 986 free; but the TURN server picks a relay port at random (32 tries,
 * then 508), so 990 attempts on 986 ports leave 14–21 free and a newcomer got one in one
 * run of two (2026-12-07): with 880 the range is full by the end. Below the namespace's
 * ephemeral range (32768–60999), so no client socket takes one.
 */
import { ItdaTarget } from '../sfu/itda.ts';

export const BYSTANDER_ROOM = 'bystander';

/**
 * Source addresses (all of 127.0.0.0/8 is local on loopback): attackers connect from
 * ATTACKER, a newcomer (the probes, attack 5's newcomer, attack 7's two members) from
 * NEWCOMER, the bystander from 127.0.0.1 — so that a per-source limit of the server counts
 * the attacker alone, as it would across the Internet.
 */
export const ATTACKER_ADDRESS = '127.0.0.3';
export const NEWCOMER_ADDRESS = '127.0.0.2';
export const RELAY_PORTS = { min: 20000, max: 20879 } as const;

export interface HostPort {
  host: string;
  port: number;
}

/** Where the attacks reach the server. */
export interface ServerInfo {
  pid: number;
  url: string;
  wsUrl: string;
  rtcUdpPort: number;
  rtcTcpPort: number | undefined;
  turnUdp: HostPort | undefined;
  turnTcp: HostPort | undefined;
  relayIp: string | undefined;
}

interface Healthz {
  turn?: { listeners?: { transport: string; host: string; port: number }[]; relayIp?: string | null };
  sfu?: { udpPort?: number; tcpPort?: number };
}

export function abuseTarget(): ItdaTarget {
  return new ItdaTarget(undefined, 'itda', '127.0.0.1', {
    room: BYSTANDER_ROOM,
    countLog: true,
    server: {
      logLevel: 'info',
      turn: true,
      turnTls: false,
      rtcTcp: true,
      minPort: RELAY_PORTS.min,
      maxPort: RELAY_PORTS.max,
    },
  });
}

/** The started target's addresses, from its `/healthz`. */
export async function serverInfo(target: ItdaTarget): Promise<ServerInfo> {
  const res = await fetch(`${target.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  const h = (await res.json()) as Healthz;
  const listener = (transport: string): HostPort | undefined => {
    const l = h.turn?.listeners?.find((x) => x.transport === transport);
    return l === undefined ? undefined : { host: l.host, port: l.port };
  };
  const udp = h.sfu?.udpPort;
  if (udp === undefined) throw new Error('/healthz shows no SFU UDP port');
  const url = new URL(target.url);
  return {
    pid: target.pid,
    url: target.url,
    wsUrl: `ws://${url.host}/ws`,
    rtcUdpPort: udp,
    rtcTcpPort: h.sfu?.tcpPort,
    turnUdp: listener('udp'),
    turnTcp: listener('tcp'),
    relayIp: h.turn?.relayIp ?? undefined,
  };
}
