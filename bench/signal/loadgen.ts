/**
 * A load generator: a child process (forked by `run.ts`) holding many `ws` client
 * sockets on loopback. It connects and joins its participants, pings them like the
 * browser SDK does, and relays keyed offers and candidates between participants of the
 * same room, measuring the latency of each relayed message. Every phase is bounded in
 * count and time. Controlled over the IPC channel (see ipc.ts).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { Command, ConnectCommand, RelayCommand, Report } from './ipc.ts';
import { candidate, candidateKey, offerKey, offerSdp } from './messages.ts';

interface Peer {
  ws: WebSocket;
  room: string;
  id: string | undefined;
  /** Ids of the others in the room. */
  others: string[];
  openedAt: number;
}

const peers: Peer[] = [];
const errors: Record<string, number> = {};
let pingTimer: NodeJS.Timeout | undefined;
/** The relay phase under way, if any. */
let relay:
  | { phase: number; sentAt: Float64Array; latencies: number[]; lastAt: number; onReceive: () => void }
  | undefined;

function report(r: Report): void {
  process.send?.(r);
}

function count(code: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
}

function onMessage(peer: Peer, text: string, resolveJoined: (peer: Peer) => void): void {
  const msg = JSON.parse(text) as Record<string, unknown>;
  switch (msg.type) {
    case 'joined': {
      // itda names the room's mode (the baseline does not): only p2p rooms relay offers and
      // candidates, so a room in any other mode would answer the whole load with errors.
      if (msg.mode !== undefined && msg.mode !== 'p2p') count(`joined_${String(msg.mode)}_room`);
      peer.id = String(msg.participantId);
      const list = Array.isArray(msg.participants) ? (msg.participants as { id: string }[]) : [];
      peer.others = list.map((p) => p.id);
      resolveJoined(peer);
      return;
    }
    case 'participant-joined':
      peer.others.push(String((msg.participant as { id: string }).id));
      return;
    case 'participant-left': {
      const i = peer.others.indexOf(String(msg.participantId));
      if (i >= 0) peer.others.splice(i, 1);
      return;
    }
    case 'offer':
    case 'candidate': {
      const key = msg.type === 'offer' ? offerKey(String(msg.sdp)) : candidateKey(msg.candidate);
      const r = relay;
      if (r === undefined || Math.floor(key / 1e7) !== r.phase) return;
      const sent = r.sentAt[key % 1e7];
      if (sent === undefined || sent === 0) return;
      const now = performance.now();
      r.latencies.push(now - sent);
      r.sentAt[key % 1e7] = 0;
      r.lastAt = now;
      r.onReceive();
      return;
    }
    case 'error':
      count(String(msg.code));
      relay?.onReceive();
      return;
    default:
      return;
  }
}

async function connect(cmd: ConnectCommand): Promise<void> {
  const total = cmd.rooms.length;
  const deadline = performance.now() + cmd.timeoutMs;
  const joinLatencies: number[] = [];
  const openLatencies: number[] = [];
  let joined = 0;
  let failed = 0;
  let next = 0;
  const start = performance.now();
  let lastJoinAt = start;
  const progress = setInterval(() => report({ ev: 'progress', what: 'joined', done: joined, total }), 1000);
  // Joined participants ping from the start, as the SDK does, so none hits the heartbeat timeout.
  startPings(cmd.pingIntervalMs);

  const openOne = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const room = cmd.rooms[i] ?? 'r0';
      const localAddress =
        cmd.localAddresses.length === 0 ? undefined : cmd.localAddresses[i % cmd.localAddresses.length];
      const ws = new WebSocket(cmd.url, { handshakeTimeout: 30_000, ...(localAddress ? { localAddress } : {}) });
      const createdAt = performance.now();
      const peer: Peer = { ws, room, id: undefined, others: [], openedAt: 0 };
      let settled = false;
      const done = (ok: boolean, code?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) {
          joined++;
          lastJoinAt = performance.now();
          joinLatencies.push(lastJoinAt - peer.openedAt);
          peers.push(peer);
        } else {
          failed++;
          count(code ?? 'join_failed');
          ws.terminate();
        }
        resolve();
      };
      const timer = setTimeout(() => done(false, 'join_timeout'), 30_000);
      ws.on('open', () => {
        peer.openedAt = performance.now();
        openLatencies.push(peer.openedAt - createdAt);
        ws.send(JSON.stringify({ type: 'join', v: 1, room, name: `bench-${i}` }));
      });
      ws.on('message', (data) => {
        try {
          onMessage(peer, data.toString(), () => done(true));
        } catch {
          count('bad_frame');
        }
      });
      ws.on('error', (err) => done(false, (err as { code?: string }).code ?? 'socket_error'));
      ws.on('close', (code) => {
        if (!settled) done(false, `close_${code}`);
        else if (code !== 1000 && code !== 1005) count(`closed_${code}`);
      });
    });

  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total || performance.now() > deadline) return;
      await openOne(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, worker));
  clearInterval(progress);
  report({
    ev: 'connected',
    joined,
    failed: failed + Math.max(0, total - joined - failed),
    ms: lastJoinAt - start,
    joinLatencies: Float64Array.from(joinLatencies),
    openLatencies: Float64Array.from(openLatencies),
    errors: { ...errors },
  });
}

/** Every participant pings once per `intervalMs`, spread evenly over 100 ms ticks. */
function startPings(intervalMs: number): void {
  clearInterval(pingTimer);
  const slots = Math.max(1, Math.round(intervalMs / 100));
  let tick = 0;
  pingTimer = setInterval(() => {
    const slot = tick++ % slots;
    for (let i = slot; i < peers.length; i += slots) {
      const ws = peers[i]?.ws;
      if (ws?.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
    }
  }, 100);
}

async function runRelay(cmd: RelayCommand): Promise<void> {
  const senders = peers.filter((p) => p.others.length > 0 && p.ws.readyState === WebSocket.OPEN);
  const sentAt = new Float64Array(cmd.messages);
  const latencies: number[] = [];
  let sent = 0;
  let firstAt = 0;
  let finished: () => void = () => {};
  const finishedP = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const errorsBefore = { ...errors };
  const errorCount = (): number => Object.values(errors).reduce((a, b) => a + b, 0);
  const errorBase = errorCount();
  const completed = (): number => latencies.length + (errorCount() - errorBase);

  const pick = (): { from: Peer; to: string } | undefined => {
    // A few tries: a participant whose socket closed, or who is alone, cannot send.
    for (let attempt = 0; attempt < 8; attempt++) {
      const from = senders[Math.floor(Math.random() * senders.length)];
      const to = from?.others[Math.floor(Math.random() * from.others.length)];
      if (from !== undefined && to !== undefined && from.ws.readyState === WebSocket.OPEN) return { from, to };
    }
    return undefined;
  };
  const sendOne = (): boolean => {
    if (sent >= cmd.messages || senders.length === 0) return false;
    const picked = pick();
    if (picked === undefined) return false;
    const { from, to } = picked;
    const key = cmd.phase * 1e7 + sent;
    const text =
      sent % cmd.offerEvery === 0
        ? JSON.stringify({ type: 'offer', to, sdp: offerSdp(key) })
        : JSON.stringify({ type: 'candidate', to, candidate: candidate(key) });
    const now = performance.now();
    if (firstAt === 0) firstAt = now;
    sentAt[sent] = now;
    sent++;
    from.ws.send(text);
    return true;
  };

  const state = { stopSending: false };
  relay = {
    phase: cmd.phase,
    sentAt,
    latencies,
    lastAt: 0,
    onReceive: () => {
      const done = completed();
      if (done >= cmd.messages || (state.stopSending && done >= sent)) finished();
      else if (cmd.window !== undefined && !state.stopSending) sendOne();
    },
  };
  const progress = setInterval(
    () => report({ ev: 'progress', what: `relayed (phase ${cmd.phase})`, done: latencies.length, total: cmd.messages }),
    1000,
  );
  const start = performance.now();
  let ticker: NodeJS.Timeout | undefined;
  if (cmd.window !== undefined) {
    const window = cmd.window;
    // Closed loop: keep `window` messages in flight; the tick tops up after losses.
    // A message whose addressee vanished never completes: after 1 s without progress,
    // what is still in flight is presumed lost and the window is refilled.
    let presumedLost = 0;
    let lastCompleted = -1;
    let lastProgressAt = performance.now();
    ticker = setInterval(() => {
      if (state.stopSending) return;
      const done = completed();
      const now = performance.now();
      if (done !== lastCompleted) {
        lastCompleted = done;
        lastProgressAt = now;
      } else if (now - lastProgressAt > 1000) {
        presumedLost = sent - done;
        lastProgressAt = now;
      }
      const inFlight = Math.max(0, sent - done - presumedLost);
      for (let i = inFlight; i < window; i++) if (!sendOne()) break;
    }, 100);
    for (let i = 0; i < window; i++) if (!sendOne()) break;
  } else {
    const rate = cmd.rate ?? 1000;
    // Open loop: send what the clock says is due, every 10 ms.
    ticker = setInterval(() => {
      if (state.stopSending) return;
      const due = Math.min(cmd.messages, Math.floor(((performance.now() - start) * rate) / 1000));
      while (sent < due) if (!sendOne()) break;
    }, 10);
  }
  const stopTimer = setTimeout(() => {
    state.stopSending = true;
    if (completed() >= sent) finished();
  }, cmd.durationMs);
  const hardStop = setTimeout(finished, cmd.durationMs + cmd.drainMs);
  await finishedP;
  state.stopSending = true;
  clearInterval(ticker);
  clearInterval(progress);
  clearTimeout(stopTimer);
  clearTimeout(hardStop);
  const lastAt = relay.lastAt;
  relay = undefined;
  const phaseErrors: Record<string, number> = {};
  for (const [k, v] of Object.entries(errors))
    if (v !== (errorsBefore[k] ?? 0)) phaseErrors[k] = v - (errorsBefore[k] ?? 0);
  report({
    ev: 'relayed',
    phase: cmd.phase,
    sent,
    received: latencies.length,
    ms: lastAt > firstAt ? lastAt - firstAt : 0,
    latencies: Float64Array.from(latencies),
    errors: phaseErrors,
  });
}

function closeAll(): void {
  clearInterval(pingTimer);
  for (const p of peers) p.ws.terminate();
  peers.length = 0;
  report({ ev: 'closed' });
}

process.on('message', (cmd: Command) => {
  const run = async (): Promise<void> => {
    if (cmd.cmd === 'connect') await connect(cmd);
    else if (cmd.cmd === 'relay') await runRelay(cmd);
    else closeAll();
  };
  run().catch((err: unknown) => report({ ev: 'failed', message: err instanceof Error ? err.message : String(err) }));
});
process.on('disconnect', () => {
  clearInterval(pingTimer);
  for (const p of peers) p.ws.terminate();
  process.exit(0);
});
