import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseSdp } from '@itda/sfu/sdp';
import { signRoomToken } from '@itda/signal';
import { TestClient } from '@itda/signal/node';
import { type ItdaServer, startServer } from '../server.ts';

const FINGERPRINT =
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

/** A WHIP client's offer (OBS-like): sendonly Opus and VP8 (+RTX), BUNDLE, SSRCs. */
function whipOffer(ufrag = 'wHiP'): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    `a=ice-ufrag:${ufrag}`,
    'a=ice-pwd:whippasswordwhippasswordwhip',
    FINGERPRINT,
    'a=setup:actpass',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    'a=sendonly',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=ssrc:1001 cname:obs',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    'c=IN IP4 0.0.0.0',
    'a=mid:1',
    'a=sendonly',
    'a=rtcp-mux',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=ssrc-group:FID 2001 2002',
    'a=ssrc:2001 cname:obs',
    'a=ssrc:2002 cname:obs',
    '',
  ].join('\r\n');
}

/** A WHEP player's offer: recvonly, its own payload types. */
function whepOffer(ufrag = 'wHeP'): string {
  return whipOffer(ufrag)
    .replaceAll('a=sendonly', 'a=recvonly')
    .replace(/a=ssrc[^\r]*\r\n/g, '')
    .replace('96 97', '100 101')
    .replaceAll(':96', ':100')
    .replaceAll(':97', ':101')
    .replace('apt=96', 'apt=100');
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON answers field by field.
  json: any;
}

async function http(
  server: ItdaServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const sdp = { 'content-type': 'application/sdp' };
const frag = { 'content-type': 'application/trickle-ice-sdpfrag' };

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let server: ItdaServer;
before(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', sfu: true, logLevel: 'warn', rtcConsentTimeoutMs: 5000 });
});
after(async () => {
  await server.close();
});

test('WHIP: 201 + Location + ICE-lite answer; the publisher is a participant; WHEP plays it; PATCH; DELETE frees all', async () => {
  const viewer = await TestClient.connect(server.wsUrl);
  viewer.send({ type: 'join', v: 1, room: 'live', name: 'Viewer' });
  await viewer.next('joined');

  const pre = await http(server, 'OPTIONS', '/whip/live');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('accept-post'), 'application/sdp');
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(pre.headers.get('access-control-expose-headers') ?? '', /Location/);

  const pub = await http(server, 'POST', '/whip/live?name=OBS%20Studio', whipOffer(), sdp);
  assert.equal(pub.status, 201, pub.text);
  assert.equal(pub.headers.get('content-type'), 'application/sdp');
  const location = pub.headers.get('location') ?? '';
  assert.match(location, /^\/whip\/live\/[A-Za-z0-9_-]{22}$/);
  const answer = parseSdp(pub.text);
  assert.equal(answer.iceLite, true);
  assert.deepEqual(
    answer.media.map((m) => [m.direction, m.setup, m.endOfCandidates, m.candidates.length > 0]),
    [
      ['recvonly', 'passive', true, true],
      ['recvonly', 'passive', true, true],
    ],
  );
  const joined = await viewer.next('participant-joined');
  assert.equal(joined.participant.name, 'OBS Studio');
  assert.deepEqual(joined.participant.media, { audio: true, video: true, screenStreamId: null });
  assert.equal(pub.headers.get('x-itda-participant-id'), joined.participant.id);
  assert.equal(server.signal.core.stats().participants, 2);

  // Trickle: accepted and ignored. Wrong type: 415. ICE restart: our new credentials.
  const trickle =
    'a=ice-ufrag:wHiP\r\na=ice-pwd:whippasswordwhippasswordwhip\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n';
  const etag = pub.headers.get('etag') ?? '';
  assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
  assert.equal((await http(server, 'PATCH', location, trickle, frag)).status, 204);
  assert.equal((await http(server, 'PATCH', location, trickle, { ...frag, 'if-match': etag })).status, 204);
  const stale = await http(server, 'PATCH', location, trickle, { ...frag, 'if-match': '"old"' });
  assert.deepEqual([stale.status, stale.json.error.code], [412, 'precondition_failed']);
  assert.equal((await http(server, 'PATCH', location, trickle, sdp)).status, 415);
  assert.equal((await http(server, 'PATCH', location, 'garbage', frag)).json.error.code, 'bad_request');
  const restart = await http(
    server,
    'PATCH',
    location,
    'a=ice-ufrag:nEwU\r\na=ice-pwd:newpasswordnewpasswordnew1\r\n',
    { ...frag, 'if-match': '*' },
  );
  assert.equal(restart.status, 200, restart.text);
  assert.notEqual(restart.headers.get('etag'), etag);
  assert.equal(restart.headers.get('content-type'), 'application/trickle-ice-sdpfrag');
  const ufrag = /a=ice-ufrag:(\S+)/.exec(restart.text)?.[1];
  assert.ok(ufrag !== undefined && ufrag !== answer.media[0]?.iceUfrag);
  assert.match(restart.text, /a=ice-pwd:\S{22,}/);
  assert.match(restart.text, /a=mid:0\r\na=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
  assert.match(restart.text, /a=end-of-candidates\r\n$/);

  // WHEP: the WHIP resource id names the publisher; the answer carries its tracks at the player's payload types.
  const resourceId = location.split('/').at(-1) ?? '';
  const play = await http(server, 'POST', `/whep/live?participant=${resourceId}`, whepOffer(), sdp);
  assert.equal(play.status, 201, play.text);
  const playLocation = play.headers.get('location') ?? '';
  assert.match(playLocation, /^\/whep\/live\/[A-Za-z0-9_-]{22}$/);
  const played = parseSdp(play.text);
  assert.deepEqual(
    played.media.map((m) => [m.direction, m.codecs.map((c) => c.payloadType), m.msids[0]?.streamId]),
    [
      ['sendonly', [111], joined.participant.id],
      ['sendonly', [100, 101], joined.participant.id],
    ],
  );
  assert.ok(played.media.every((m) => m.ssrcs.length > 0 && m.endOfCandidates));
  // The default participant is the newest video publisher: the same one. `quality=low`
  // gives a simulcast publisher's lowest layer (Consumer.preferredRank); a bad value is a 400.
  const bad = await http(server, 'POST', '/whep/live?quality=ultra', whepOffer('wHe3'), sdp);
  assert.equal(bad.status, 400);
  assert.match(bad.text, /bad_quality/);
  const play2 = await http(server, 'POST', '/whep/live?quality=low', whepOffer('wHe2'), sdp);
  assert.equal(play2.status, 201);
  assert.equal(play2.headers.get('x-itda-participant-id'), joined.participant.id);
  const ranks = [...(server.sfu?.service.routerFor('live')?.transports.values() ?? [])]
    .flatMap((t) => [...t.consumers.values()])
    .map((c) => c.preferredRank);
  assert.ok(ranks.includes(99) && ranks.includes(0), `consumer ranks ${ranks.join(',')}`);
  assert.equal((await http(server, 'PATCH', playLocation, trickle.replace('wHiP', 'wHeP'), frag)).status, 204);
  // The WHIP publisher's, the viewer's subscribe transport and the two players'.
  assert.equal(server.sfu?.health().transports, 4);
  const health = await http(server, 'GET', '/healthz');
  assert.deepEqual(health.json.whip, { whip: 1, whep: 2 });

  assert.equal((await http(server, 'DELETE', playLocation)).status, 200);
  assert.equal((await http(server, 'DELETE', playLocation)).status, 404);
  assert.equal((await http(server, 'DELETE', location)).status, 200);
  const left = await viewer.next('participant-left');
  assert.deepEqual(left, { type: 'participant-left', participantId: joined.participant.id, reason: 'left' });
  assert.equal((await http(server, 'DELETE', location)).status, 404);
  assert.equal((await http(server, 'PATCH', location, trickle, frag)).status, 404);
  // The second player ended with the stream.
  assert.equal((await http(server, 'DELETE', play2.headers.get('location') ?? '')).status, 404);
  assert.equal(server.sfu?.health().transports, 1);
  assert.equal(server.signal.core.stats().participants, 1);
  viewer.send({ type: 'leave' });
  await viewer.closed();
  assert.equal(server.signal.core.stats().participants, 0);
  assert.equal(server.sfu?.health().transports, 0);
});

test('WHIP/WHEP errors: 400, 404, 405, 409, 413, 415 with JSON bodies', async () => {
  const err = async (r: Promise<Reply>, status: number, code: string): Promise<void> => {
    const reply = await r;
    assert.equal(reply.status, status, reply.text);
    assert.equal(reply.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(reply.json.error.code, code);
    assert.equal(typeof reply.json.error.message, 'string');
  };
  await err(
    http(server, 'POST', '/whip/e', whipOffer(), { 'content-type': 'text/plain' }),
    415,
    'unsupported_media_type',
  );
  await err(http(server, 'POST', '/whip/e', 'not sdp', sdp), 400, 'sfu_bad_offer');
  await err(http(server, 'POST', '/whip/e', whepOffer(), sdp), 400, 'sfu_bad_offer');
  await err(
    http(server, 'POST', '/whip/e', whipOffer().replace('a=group:BUNDLE 0 1\r\n', 'a=group:BUNDLE 0\r\n'), sdp),
    400,
    'sfu_bad_offer',
  );
  await err(http(server, 'POST', '/whip/e', 'v=0\r\n'.padEnd(70_000, 'x'), sdp), 413, 'body_too_large');
  const h265 = whipOffer()
    .replace('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'm=audio 9 UDP/TLS/RTP/SAVPF 0')
    .replace(/a=rtpmap:111[^\r]*\r\na=fmtp:111[^\r]*/, 'a=rtpmap:0 PCMU/8000')
    .replaceAll('VP8/90000', 'H265/90000');
  await err(http(server, 'POST', '/whip/e', h265, sdp), 400, 'sfu_bad_offer');
  assert.equal(server.signal.core.getRoom('e')?.participants.length ?? 0, 0);
  await err(http(server, 'GET', '/whip/e'), 405, 'method_not_allowed');
  await err(http(server, 'POST', '/whip/bad%20name', whipOffer(), sdp), 400, 'bad_request');
  await err(http(server, 'DELETE', '/whip/e/nosuchresource'), 404, 'not_found');
  await err(http(server, 'POST', '/whep/e', whepOffer(), sdp), 404, 'no_stream');
  server.signal.core.createRoom({ name: 'mesh', mode: 'p2p' });
  await err(http(server, 'POST', '/whip/mesh', whipOffer(), sdp), 409, 'not_sfu_room');
  await err(http(server, 'POST', '/whep/mesh', whepOffer(), sdp), 409, 'not_sfu_room');
  server.signal.core.closeRoom('mesh');
  server.signal.core.createRoom({ name: 'tiny', capacity: 1 });
  const one = await http(server, 'POST', '/whip/tiny', whipOffer(), sdp);
  assert.equal(one.status, 201);
  await err(http(server, 'POST', '/whip/tiny', whipOffer('sEcond'), sdp), 409, 'room_full');
  assert.equal((await http(server, 'DELETE', one.headers.get('location') ?? '')).status, 200);
  server.signal.core.closeRoom('tiny');
  assert.equal(server.signal.core.stats().participants, 0);
  assert.equal(server.sfu?.health().transports, 0);
});

test('a WHIP publisher that never connects is freed after the consent timeout: participant-left timeout, nothing left', async () => {
  const viewer = await TestClient.connect(server.wsUrl, { timeoutMs: 15_000 });
  viewer.send({ type: 'join', v: 1, room: 'idle', name: 'Viewer' });
  await viewer.next('joined');
  const pub = await http(server, 'POST', '/whip/idle', whipOffer(), sdp);
  assert.equal(pub.status, 201);
  const joined = await viewer.next('participant-joined');
  const left = await viewer.next('participant-left');
  assert.deepEqual(left, { type: 'participant-left', participantId: joined.participant.id, reason: 'timeout' });
  assert.equal((await http(server, 'DELETE', pub.headers.get('location') ?? '')).status, 404);
  viewer.send({ type: 'leave' });
  await viewer.closed();
  await until('no participants', () => server.signal.core.stats().participants === 0);
  assert.equal(server.sfu?.health().transports, 0);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /itda_sfu_transports 0/);
  assert.match(metrics, /itda_whip_sessions\{kind="whip"\} 0\n/);
  assert.match(metrics, /itda_whip_sessions\{kind="whep"\} 0\n/);
  assert.deepEqual((await http(server, 'GET', '/healthz')).json.whip, { whip: 0, whep: 0 });
  assert.match(metrics, /itda_http_requests_total\{route="whip",status="201"\}/);
  // Media workers: as many as configured (by default none on ≤ 2 CPUs), none left sending for anyone.
  const workers = server.config.mediaWorkers;
  assert.equal((await http(server, 'GET', '/healthz')).json.sfu.mediaWorkers, workers);
  assert.match(metrics, new RegExp(`itda_sfu_media_workers ${workers}\n`));
  assert.match(metrics, /itda_sfu_media_worker_transports 0\n/);
  assert.match(metrics, /itda_sfu_nacks_sent_total \d+\n/);
  assert.match(metrics, /itda_sfu_transport_cc_feedback_total \d+\n/);
  assert.match(metrics, /itda_sfu_receiver_reports_total \d+\n/);
  if (workers > 0) assert.match(metrics, /itda_sfu_dropped_total\{reason="wrong_local_address"\} 0\n/);
});

test('tokens: 401 without or with a bad token, 403 for another room or without the grant, 404 for a missing room', async () => {
  const secret = 'whip-test-secret-whip-test-secret';
  const s = await startServer({
    port: 0,
    host: '127.0.0.1',
    sfu: true,
    logLevel: 'error',
    openRooms: false,
    jwtSecrets: [secret],
    apiKey: 'k',
  });
  try {
    const token = (room: string, canPublish = true) =>
      signRoomToken(secret, { room, identity: 'obs', name: 'Cam 1', grants: { canPublish, canSubscribe: true } });
    const reply = await http(s, 'POST', '/whip/secure', whipOffer(), sdp);
    assert.equal(reply.status, 401);
    assert.equal(reply.json.error.code, 'unauthorized');
    assert.equal(reply.headers.get('www-authenticate'), 'Bearer');
    const bad = await http(s, 'POST', '/whip/secure', whipOffer(), { ...sdp, authorization: 'Bearer x.y.z' });
    assert.deepEqual([bad.status, bad.json.error.code], [401, 'invalid_token']);
    const other = await http(s, 'POST', '/whip/secure', whipOffer(), {
      ...sdp,
      authorization: `Bearer ${token('other')}`,
    });
    assert.deepEqual([other.status, other.json.error.code], [403, 'forbidden']);
    const noGrant = await http(s, 'POST', '/whip/secure', whipOffer(), {
      ...sdp,
      authorization: `Bearer ${token('secure', false)}`,
    });
    assert.deepEqual([noGrant.status, noGrant.json.error.code], [403, 'forbidden']);
    const missing = await http(s, 'POST', '/whip/secure', whipOffer(), {
      ...sdp,
      authorization: `Bearer ${token('secure')}`,
    });
    assert.deepEqual([missing.status, missing.json.error.code], [404, 'room_not_found']);
    s.signal.core.createRoom({ name: 'secure' });
    const ok = await http(s, 'POST', '/whip/secure', whipOffer(), {
      ...sdp,
      authorization: `Bearer ${token('secure')}`,
    });
    assert.equal(ok.status, 201, ok.text);
    const info = s.signal.core.getRoom('secure');
    assert.equal(info?.participants[0]?.name, 'Cam 1');
    assert.equal(info?.participants[0]?.identity, 'obs');

    // The token names the publisher: ?name= may not change it without canRename.
    const renamed = await http(s, 'POST', '/whip/secure?name=CEO', whipOffer('rEnA'), {
      ...sdp,
      authorization: `Bearer ${token('secure')}`,
    });
    assert.deepEqual([renamed.status, renamed.json.error.code], [403, 'forbidden']);
    const granted = signRoomToken(secret, {
      room: 'secure',
      identity: 'obs2',
      name: 'Cam 2',
      grants: { canRename: true },
    });
    const stage = await http(s, 'POST', '/whip/secure?name=Stage', whipOffer('sTaG'), {
      ...sdp,
      authorization: `Bearer ${granted}`,
    });
    assert.equal(stage.status, 201, stage.text);
    assert.deepEqual(
      s.signal.core.getRoom('secure')?.participants.map((p) => p.name),
      ['Cam 1', 'Stage'],
    );
  } finally {
    await s.close();
  }
});

test('?name= follows the display-name rule of join: spaces, invisible or overlong names are 400 bad_name', async () => {
  for (const name of ['%20%20%20%20', '', '%E2%80%8B%E2%80%8B', 'A%00B', 'x'.repeat(65)]) {
    const reply = await http(server, 'POST', `/whip/names?name=${name}`, whipOffer(), sdp);
    assert.deepEqual([reply.status, reply.json?.error.code], [400, 'bad_name'], name);
  }
  assert.equal(server.signal.core.getRoom('names'), undefined, 'no participant came and went');
  const ok = await http(server, 'POST', '/whip/names?name=%20Stage%20camera%20', whipOffer(), sdp);
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(
    server.signal.core.getRoom('names')?.participants.map((p) => p.name),
    ['Stage camera'],
  );
  assert.equal((await http(server, 'DELETE', ok.headers.get('location') ?? '')).status, 200);
});

test('without the SFU: 503 sfu_unavailable', async () => {
  const s = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'error' });
  try {
    for (const path of ['/whip/r', '/whep/r']) {
      const reply = await http(s, 'POST', path, whipOffer(), sdp);
      assert.deepEqual([reply.status, reply.json.error.code], [503, 'sfu_unavailable']);
    }
  } finally {
    await s.close();
  }
});

test('kicking the WHIP participant or closing its room ends the WHIP session', async () => {
  const pub = await http(server, 'POST', '/whip/kick', whipOffer(), sdp);
  assert.equal(pub.status, 201);
  const id = pub.headers.get('x-itda-participant-id') ?? '';
  const kicked = await http(server, 'DELETE', `/api/rooms/kick/participants/${id}`);
  assert.equal(kicked.status, 204, kicked.text);
  assert.equal((await http(server, 'DELETE', pub.headers.get('location') ?? '')).status, 404);
  const again = await http(server, 'POST', '/whip/kick', whipOffer(), sdp);
  assert.equal(again.status, 201);
  assert.equal((await http(server, 'DELETE', '/api/rooms/kick')).status, 204);
  assert.equal((await http(server, 'DELETE', again.headers.get('location') ?? '')).status, 404);
  assert.equal(server.signal.core.stats().participants, 0);
  assert.equal(server.sfu?.health().transports, 0);
});

test('a WHIP publisher takes its answer whatever the room sends it first (active-speaker when someone speaks)', async () => {
  // The SFU tells a newcomer who speaks before it answers its offer when someone in the room
  // is speaking (a person in the web app with a microphone on). Simulated here: the core hands
  // every external participant an `active-speaker` message as soon as it joins.
  const core = server.signal.core;
  const original = core.addExternalParticipant.bind(core);
  core.addExternalParticipant = (room, options) => {
    const info = original(room, options);
    options.deliver?.({ type: 'active-speaker', dominant: 'p_someone', speaking: ['p_someone'], levels: {} });
    return info;
  };
  try {
    const pub = await http(server, 'POST', '/whip/speaking?name=Cam', whipOffer('sPk1'), sdp);
    assert.equal(pub.status, 201, pub.text);
    assert.equal(parseSdp(pub.text).iceLite, true);
    const del = await http(server, 'DELETE', pub.headers.get('location') ?? '');
    assert.equal(del.status, 200);
  } finally {
    core.addExternalParticipant = original;
  }
});
