/**
 * The reference: a minimal WebSocket relay on `ws`, doing only what any signaling relay
 * must do — parse the JSON, look up the addressee in the sender's room, send. Same wire
 * messages as itda (`join` → `joined` + `participant-joined` to the others; `offer`,
 * `answer`, `candidate` with `to` → the same with `from`; `ping` → `pong`), and no
 * validation, limits, heartbeats, resume or logging.
 *
 * Run as a child process: `node bench/signal/baseline.ts --port N [--host 127.0.0.1]`.
 * Prints `{"listening":PORT}` on stdout when ready.
 */
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

interface Member {
  id: string;
  name: string;
  ws: WebSocket;
}

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const host = values.host ?? '127.0.0.1';
if (host !== '127.0.0.1' && host !== '::1') throw new Error('the baseline listens on loopback only');

const rooms = new Map<string, Map<string, Member>>();
let seq = 0;

const wss = new WebSocketServer({ host, port: Number(values.port), path: '/ws', maxPayload: 256 * 1024 });

wss.on('connection', (ws) => {
  let me: Member | undefined;
  let room: Map<string, Member> | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data.toString()) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (msg.type) {
      case 'join': {
        if (me !== undefined || typeof msg.room !== 'string') return;
        me = { id: `p${++seq}`, name: String(msg.name ?? ''), ws };
        room = rooms.get(msg.room);
        if (room === undefined) {
          room = new Map();
          rooms.set(msg.room, room);
        }
        const others = [...room.values()].map((m) => ({ id: m.id, name: m.name }));
        const announce = JSON.stringify({ type: 'participant-joined', participant: { id: me.id, name: me.name } });
        for (const m of room.values()) m.ws.send(announce);
        room.set(me.id, me);
        ws.send(JSON.stringify({ type: 'joined', participantId: me.id, participants: others }));
        return;
      }
      case 'offer':
      case 'answer':
      case 'candidate': {
        if (me === undefined || room === undefined) return;
        const to = room.get(String(msg.to));
        if (to === undefined) {
          ws.send(JSON.stringify({ type: 'error', code: 'unknown_participant', ref: msg.type }));
          return;
        }
        const out =
          msg.type === 'candidate'
            ? { type: msg.type, from: me.id, candidate: msg.candidate }
            : { type: msg.type, from: me.id, sdp: msg.sdp };
        to.ws.send(JSON.stringify(out));
        return;
      }
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong', ts: msg.ts }));
        return;
      default:
        return;
    }
  });
  ws.on('close', () => {
    if (me === undefined || room === undefined) return;
    room.delete(me.id);
    const left = JSON.stringify({ type: 'participant-left', participantId: me.id, reason: 'left' });
    for (const m of room.values()) m.ws.send(left);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
});

const stop = (): void => {
  for (const client of wss.clients) client.terminate();
  wss.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
