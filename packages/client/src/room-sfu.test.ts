import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import {
  type ClientMessage,
  decodeClientMessage,
  type ParticipantInfo,
  type ServerMessage,
  type SubscribeTrack,
} from '@itda/protocol';
import { simulcastEncodings } from './local-media.ts';
import { encodePeerFrame } from './peer-protocol.ts';
import { Room } from './room.ts';
import type { TrackInfo } from './room-events.ts';
import { encodeSignalPayload } from './signal-channel.ts';
import type { SocketHandlers } from './socket.ts';
import { FakeMediaStream, FakePeerConnection } from './testing.ts';

// Node has no MediaStream; the Room builds its sfu streams with it.
(globalThis as { MediaStream?: unknown }).MediaStream ??= FakeMediaStream;

const settle = async (): Promise<void> => {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
};

const info = (id: string, name: string): ParticipantInfo => ({
  id,
  name,
  identity: null,
  joinedAt: 1,
  media: { audio: true, video: true, screenStreamId: null },
});
const t = (mid: string, participantId: string, kind: 'audio' | 'video', source: SubscribeTrack['source']) => ({
  mid,
  participantId,
  kind,
  source,
});
const sdpOf = (tracks: SubscribeTrack[]): string => tracks.map((x) => `a=mid:${x.mid} ${x.kind}`).join('\n');

async function sfuRoom(localStream: MediaStream | null = null) {
  const clock = new ManualClock(0);
  const pcs: FakePeerConnection[] = [];
  const sent: ClientMessage[] = [];
  let handlers: SocketHandlers | undefined;
  const room = new Room({
    url: 'ws://127.0.0.1:1/ws',
    clock,
    socketFactory: (_url, h) => {
      handlers = h;
      return { send: (text) => sent.push(decodeClientMessage(text)), close: () => undefined };
    },
    // The fake has what the SFU connections use; the cast stands in for the DOM type.
    createPeerConnection: () => {
      const pc = new FakePeerConnection();
      pcs.push(pc);
      return pc as unknown as RTCPeerConnection;
    },
  });
  const reply = (m: ServerMessage): void => handlers?.onMessage(JSON.stringify(m));
  const joining = room.join({ room: 'big', name: 'Ada', localStream });
  handlers?.onOpen();
  reply({
    type: 'joined',
    v: 1,
    room: 'big',
    mode: 'sfu',
    participantId: 'p_ada',
    resumeToken: 'tok',
    participants: [info('p_bob', 'Bob')],
    iceServers: [],
    grants: { canPublish: true, canSubscribe: true, canRename: true },
    heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
    resumeGraceMs: 15000,
    limits: { maxMessageBytes: 65536, ratePerSecond: 50, rateBurst: 200, roomCapacity: 50 },
  });
  await joining;
  const added: TrackInfo[] = [];
  const removed: TrackInfo[] = [];
  room.on('trackAdded', (i) => added.push(i));
  room.on('trackRemoved', (i) => removed.push(i));
  return { clock, pcs, sent, room, reply, added, removed };
}

test('sfu room: two peer connections whatever the size; tracks by participant and source; removal on port 0 and on leave', async () => {
  const { pcs, sent, room, reply, added, removed } = await sfuRoom();
  assert.equal(room.mode, 'sfu');
  assert.equal(room.peerConnections.length, 2);
  assert.equal(pcs.length, 2);
  assert.deepEqual([...room.participants.keys()], ['p_bob']);

  const v1 = [t('0', 'p_bob', 'audio', 'microphone'), t('1', 'p_bob', 'video', 'camera')];
  reply({ type: 'subscribe', sdp: sdpOf(v1), version: 1, tracks: v1 });
  await settle();
  assert.deepEqual(
    sent.filter((m) => m.type === 'subscribed').map((m) => m.type === 'subscribed' && m.version),
    [1],
  );
  assert.deepEqual(
    added.map((a) => `${a.participant.id}/${a.source}/${a.track.kind}`),
    ['p_bob/camera/audio', 'p_bob/camera/video'],
  );
  const bob = room.participants.get('p_bob');
  assert.ok(bob !== undefined);
  assert.equal(bob.cameraStream?.getTracks().length, 2);
  // Read through a function: assert.equal narrows the property itself.
  const screenOf = (): MediaStream | null => bob.screenStream;
  assert.equal(screenOf(), null);

  reply({ type: 'participant-joined', participant: info('p_cat', 'Cat') });
  const v2 = [...v1, t('2', 'p_cat', 'audio', 'microphone'), t('3', 'p_bob', 'video', 'screen')];
  reply({ type: 'subscribe', sdp: sdpOf(v2), version: 2, tracks: v2 });
  await settle();
  assert.equal(room.peerConnections.length, 2, 'still two with three people');
  assert.equal(pcs.length, 2);
  assert.equal(screenOf()?.getTracks().length, 1);
  assert.equal(added.at(-1)?.source, 'screen');
  assert.equal(room.participants.get('p_cat')?.cameraStream?.getTracks().length, 1);

  // Bob stops sharing: its m-line is no longer listed.
  const v3 = v2.filter((x) => x.mid !== '3');
  reply({ type: 'subscribe', sdp: sdpOf(v3), version: 3, tracks: v3 });
  await settle();
  assert.deepEqual(
    removed.map((r) => `${r.participant.id}/${r.source}`),
    ['p_bob/screen'],
  );
  assert.equal(screenOf(), null);

  // Bob leaves: his tiles go.
  const left: string[] = [];
  room.on('participantLeft', (p) => left.push(p.id));
  reply({ type: 'participant-left', participantId: 'p_bob', reason: 'left' });
  assert.deepEqual(left, ['p_bob']);
  assert.deepEqual(
    removed.slice(1).map((r) => `${r.participant.id}/${r.source}/${r.track.kind}`),
    ['p_bob/camera/audio', 'p_bob/camera/video'],
  );
  // The server's next offer drops his m-lines: nothing more to remove.
  const v4 = v3.filter((x) => x.participantId !== 'p_bob');
  reply({ type: 'subscribe', sdp: sdpOf(v4), version: 4, tracks: v4 });
  await settle();
  assert.equal(removed.length, 3);

  room.leave();
  assert.ok(pcs.every((pc) => pc.closed));
  assert.equal(sent.at(-1)?.type, 'leave');
});

test('sfu room: chat and files go out once as data and come in from each sender; stats and errors', async () => {
  const { sent, room, reply } = await sfuRoom();
  reply({ type: 'participant-joined', participant: info('p_cat', 'Cat') });
  room.sendChat('hello all');
  const data = sent.filter((m) => m.type === 'data');
  assert.equal(data.length, 1, 'one copy for everyone');
  const chat = data[0];
  assert.ok(chat?.type === 'data' && chat.to === undefined && chat.payload.startsWith('t{"t":"chat"'));

  const chats: string[] = [];
  room.on('chatMessage', (m) => chats.push(`${m.from}:${m.name}:${m.text}`));
  reply({
    type: 'data',
    from: 'p_bob',
    payload: encodeSignalPayload(encodePeerFrame({ t: 'chat', id: 'c1', text: 'hi Ada', ts: 5 })),
  });
  await settle();
  assert.deepEqual(chats, ['p_bob:Bob:hi Ada']);

  // A file from Cat; and a stray chunk from Bob (he joined mid-file elsewhere) is ignored.
  const files: string[] = [];
  const errors: string[] = [];
  room.on('fileReceived', (f) => files.push(`${f.from}:${f.name}:${f.size}`));
  room.on('error', (e) => errors.push(e.code));
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  const frames: (string | ArrayBuffer)[] = [
    encodePeerFrame({ t: 'file-start', id: 'f1', name: 'n.bin', size: 5, mime: 'application/octet-stream' }),
    bytes.buffer,
    encodePeerFrame({ t: 'file-end', id: 'f1' }),
  ];
  reply({ type: 'data', from: 'p_bob', payload: encodeSignalPayload(new Uint8Array([9]).buffer) });
  for (const f of frames) reply({ type: 'data', from: 'p_cat', payload: encodeSignalPayload(f) });
  reply({ type: 'data', from: 'p_nobody', payload: 'tjunk' });
  reply({ type: 'data', from: 'p_bob', payload: 'zjunk' });
  await settle();
  assert.deepEqual(files, ['p_cat:n.bin:5']);
  assert.deepEqual(errors, ['invalid_peer_message']);

  // Sending a file: one upload, progress for each recipient.
  const progress = new Set<string>();
  room.on('fileProgress', (f) => {
    if (f.direction === 'send') progress.add(f.participantId);
  });
  const before = sent.length;
  const { recipients, done } = room.sendFile(new Blob([new Uint8Array(40_000)]), 'x.bin');
  await done;
  assert.deepEqual(recipients.sort(), ['p_bob', 'p_cat']);
  assert.deepEqual([...progress].sort(), ['p_bob', 'p_cat']);
  const fileData = sent.slice(before).filter((m) => m.type === 'data');
  assert.equal(fileData.length, 1 + 3 + 1, 'start, three 16 KiB chunks, end — once');

  const stats = await room.getStats('p_bob');
  assert.equal(stats?.inboundBitrate, null);

  // A refused publish is an error event; a stale subscribed is not.
  errors.length = 0;
  reply({ type: 'error', code: 'sfu_stale_version', message: 'old', ref: 'subscribed' });
  reply({ type: 'error', code: 'sfu_unavailable', message: 'down', ref: 'resubscribe' });
  await settle();
  assert.deepEqual(errors, ['sfu_unavailable']);
  room.leave();
});

test('sfu room: the server closing a transport starts that connection afresh (publish: local media moves; subscribe: tracks end, resubscribe)', async () => {
  const mic = { id: 'mic', kind: 'audio', enabled: true };
  // The fake stream has what LocalMedia reads; the cast stands in for the DOM type.
  const local = new FakeMediaStream([mic]) as unknown as MediaStream;
  const { pcs, sent, room, reply, added, removed } = await sfuRoom(local);
  await settle();
  const publishes = () => sent.filter((m) => m.type === 'publish');
  assert.deepEqual(
    publishes().map((m) => m.type === 'publish' && m.tracks),
    [[{ mid: '0', source: 'microphone' }]],
  );
  reply({ type: 'published', sdp: 'answer' });
  const v1 = [t('0', 'p_bob', 'audio', 'microphone')];
  reply({ type: 'subscribe', sdp: sdpOf(v1), version: 1, tracks: v1 });
  await settle();
  assert.equal(added.length, 1);

  reply({ type: 'error', code: 'sfu_transport_closed', message: 'publish transport closed: consent', ref: 'publish' });
  await settle();
  assert.equal(pcs.length, 3);
  assert.equal(pcs[0]?.closed, true);
  assert.equal(publishes().length, 2, 'the new connection publishes the microphone again');
  assert.equal(room.peerConnections.length, 2);
  assert.ok(room.peerConnections.includes(pcs[2] as unknown as RTCPeerConnection));

  reply({ type: 'error', code: 'sfu_transport_closed', message: 'subscribe transport closed: consent' });
  await settle();
  assert.equal(pcs.length, 4);
  assert.equal(pcs[1]?.closed, true);
  assert.deepEqual(sent.at(-1), { type: 'resubscribe', iceRestart: true });
  assert.deepEqual(
    removed.map((r) => `${r.participant.id}/${r.track.kind}`),
    ['p_bob/audio'],
  );
  reply({ type: 'subscribe', sdp: sdpOf(v1), version: 2, tracks: v1 });
  await settle();
  assert.equal(added.length, 2, 'the track comes back on the new connection');
  assert.equal(room.participants.get('p_bob')?.cameraStream?.getTracks().length, 1);
  room.leave();
  assert.ok(pcs.every((pc) => pc.closed));
});

test('sfu room: setVideoQuality sends `quality` for a participant; simulcastEncodings follow the camera height', async () => {
  const { sent, room } = await sfuRoom();
  sent.length = 0;
  room.setVideoQuality('p_bob', 'low');
  assert.deepEqual(sent, [{ type: 'quality', participantId: 'p_bob', quality: 'low' }]);
  const track = (height: number) => ({ getSettings: () => ({ height }) }) as unknown as MediaStreamTrack;
  assert.deepEqual(
    simulcastEncodings(track(720)).map((e) => [e.rid, e.scaleResolutionDownBy]),
    [
      ['q', 4],
      ['h', 2],
      ['f', 1],
    ],
  );
  assert.deepEqual(
    simulcastEncodings(track(480)).map((e) => e.rid),
    ['h', 'f'],
  );
});

test('sfu room: active-speaker messages set participant.speaking and emit activeSpeakerChanged / speakingChanged once per change', async () => {
  const { room, reply } = await sfuRoom();
  const events: string[] = [];
  room.on('activeSpeakerChanged', (id) => events.push(`active:${id}`));
  room.on('speakingChanged', (id, speaking) => events.push(`${id}:${speaking}`));
  const speakers = (dominant: string | null, speaking: string[]): ServerMessage => ({
    type: 'active-speaker',
    dominant,
    speaking,
    levels: Object.fromEntries(speaking.map((id) => [id, 0.8])),
  });
  reply(speakers('p_bob', ['p_bob']));
  await settle();
  assert.equal(room.participants.get('p_bob')?.speaking, true);
  assert.equal(room.participants.get('p_bob')?.audioLevel, 0.8);
  assert.equal(room.activeSpeaker, 'p_bob');
  // Ada (the local participant) speaks too, then Bob stops: each change once.
  reply(speakers('p_bob', ['p_ada', 'p_bob']));
  reply(speakers('p_ada', ['p_ada']));
  reply(speakers('p_ada', ['p_ada']));
  await settle();
  assert.equal(room.localParticipant.speaking, true);
  assert.equal(room.participants.get('p_bob')?.speaking, false);
  assert.deepEqual(events, ['p_bob:true', 'active:p_bob', 'p_ada:true', 'p_bob:false', 'active:p_ada']);
  room.leave();
});
