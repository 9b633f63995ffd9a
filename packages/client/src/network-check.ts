/**
 * A network check before joining: can this browser reach the server's relay over UDP,
 * TCP and TLS, and does its NAT keep its port for every destination? The server's
 * `GET /network-check` hands out ICE servers with short-lived credentials and one or
 * two STUN URLs; the check gathers ICE candidates with each (no call is made) and reads
 * what came back:
 * - UDP / TCP / TLS: a relay candidate from `turn:?transport=udp`, `turn:?transport=tcp`,
 *   `turns:` (each in its own peer connection with `iceTransportPolicy: 'relay'`);
 * - NAT: server-reflexive candidates from STUN. Two STUN destinations that give one
 *   port: the NAT keeps it for every destination; two ports: it changes it (a
 *   "symmetric" NAT, calls to other networks need the relay). With one destination, a
 *   reflexive port equal to the local port counts as kept. None at all while UDP works:
 *   no NAT between browser and server.
 * Each gathering is bounded by `timeoutMs`; the whole check takes at most about that.
 */

export type Reach = 'yes' | 'no' | 'not-offered';
export type NatKind = 'none' | 'keeps-port' | 'changes-port' | 'unknown';

export interface NetworkCheckResult {
  udp: Reach;
  tcp: Reach;
  tls: Reach;
  nat: NatKind;
}

export interface NetworkCheckOptions {
  /** The server's origin, e.g. `https://meet.example.org`. Default: this page's origin. */
  server?: string;
  /** A room token, needed when the server's open rooms are off. */
  token?: string;
  /** Longest wait for one gathering, ms. Default 5000. */
  timeoutMs?: number;
  /** Stops the check (its peer connections are closed); the promise then resolves undefined. */
  signal?: AbortSignal;
}

/** What one candidate gathering returned. */
export interface Gathered {
  candidates: Pick<RTCIceCandidate, 'type' | 'port' | 'relatedPort' | 'relatedAddress' | 'address'>[];
  /** STUN/TURN URLs that reported an error (`icecandidateerror`). */
  errors: string[];
  /** Gathering finished before the timeout. */
  complete: boolean;
}

interface CheckAnswer {
  iceServers: RTCIceServer[];
  stun: string[];
}

const urlsOf = (s: RTCIceServer): string[] => (Array.isArray(s.urls) ? s.urls : [s.urls]);

/**
 * The NAT kind from the reflexive candidates of one gathering against `destinations`
 * STUN URLs (pure; see the module comment).
 */
export function natKindOf(g: Gathered, destinations: number, udpWorks: boolean): NatKind {
  const reflexive = g.candidates.filter((c) => c.type === 'srflx');
  if (reflexive.length === 0) return udpWorks && g.complete && g.errors.length === 0 ? 'none' : 'unknown';
  // Per local socket (its related port when the browser shows it).
  const bySocket = new Map<string, Set<string>>();
  for (const c of reflexive) {
    const socket = c.relatedPort ? `${c.relatedAddress ?? ''}:${c.relatedPort}` : '';
    const ports = bySocket.get(socket) ?? new Set<string>();
    ports.add(`${c.address}:${c.port}`);
    bySocket.set(socket, ports);
  }
  if ([...bySocket.values()].some((ports) => ports.size > 1)) return 'changes-port';
  if (destinations >= 2 && g.complete && g.errors.length === 0) return 'keeps-port';
  const preserved = reflexive.every((c) => c.relatedPort !== null && c.relatedPort !== 0 && c.relatedPort === c.port);
  return preserved ? 'keeps-port' : 'unknown';
}

/** Gathers candidates for `config` until complete, `timeoutMs` or `signal`. */
export function gather(config: RTCConfiguration, timeoutMs: number, signal?: AbortSignal): Promise<Gathered> {
  return new Promise((resolve) => {
    const pc = new RTCPeerConnection(config);
    const out: Gathered = { candidates: [], errors: [], complete: false };
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      pc.close();
      resolve(out);
    };
    const timer = setTimeout(finish, timeoutMs);
    signal?.addEventListener('abort', finish);
    pc.onicecandidate = (ev) => {
      if (ev.candidate === null) {
        out.complete = true;
        finish();
      } else if (ev.candidate.candidate !== '') out.candidates.push(ev.candidate);
    };
    pc.onicecandidateerror = (ev) => {
      const e = ev as RTCPeerConnectionIceErrorEvent;
      out.errors.push(e.url);
    };
    pc.createDataChannel('network-check');
    pc.createOffer()
      .then((offer) => pc.setLocalDescription(offer))
      .catch(finish);
  });
}

/** Runs the check against the server; undefined when it cannot (no such endpoint, refused, offline, aborted). */
export async function checkNetwork(options: NetworkCheckOptions = {}): Promise<NetworkCheckResult | undefined> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const base = options.server ?? globalThis.location?.origin ?? '';
  let answer: CheckAnswer;
  try {
    const res = await fetch(`${base}/network-check`, {
      cache: 'no-store',
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (!res.ok) return undefined;
    answer = (await res.json()) as CheckAnswer;
  } catch {
    return undefined;
  }
  const relay = (match: (url: string) => boolean): Promise<Reach> => {
    const server = answer.iceServers.find((s) => s.username !== undefined && urlsOf(s).some(match));
    const url = server === undefined ? undefined : urlsOf(server).find(match);
    if (server === undefined || url === undefined) return Promise.resolve('not-offered');
    const config: RTCConfiguration = {
      iceServers: [{ urls: [url], username: server.username ?? '', credential: server.credential ?? '' }],
      iceTransportPolicy: 'relay',
    };
    return gather(config, timeoutMs, options.signal).then((g) =>
      g.candidates.some((c) => c.type === 'relay') ? 'yes' : 'no',
    );
  };
  const stun = answer.stun.length > 0 ? [{ urls: answer.stun }] : [];
  const [udp, tcp, tls, reflexive] = await Promise.all([
    relay((u) => u.startsWith('turn:') && !u.includes('transport=tcp')),
    relay((u) => u.startsWith('turn:') && u.includes('transport=tcp')),
    relay((u) => u.startsWith('turns:')),
    stun.length > 0 ? gather({ iceServers: stun }, timeoutMs, options.signal) : undefined,
  ]);
  if (options.signal?.aborted === true) return undefined;
  // Without a TURN UDP URL, STUN's answer is what proves UDP: a reflexive candidate, or a
  // gathering that completed without errors (a browser drops a reflexive address equal to its own).
  const srflx =
    reflexive !== undefined &&
    (reflexive.candidates.some((c) => c.type === 'srflx') || (reflexive.complete && reflexive.errors.length === 0));
  const udpReach: Reach = udp === 'not-offered' && reflexive !== undefined ? (srflx ? 'yes' : 'no') : udp;
  const nat = reflexive === undefined ? 'unknown' : natKindOf(reflexive, answer.stun.length, udpReach === 'yes');
  return { udp: udpReach, tcp, tls, nat };
}
