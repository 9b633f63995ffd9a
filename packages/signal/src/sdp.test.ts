import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdpSendsMedia } from './sdp.ts';

const session = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

test('sdpSendsMedia reads m-section directions with RFC 8866 defaults', () => {
  assert.equal(sdpSendsMedia(`${session}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n`), true);
  assert.equal(sdpSendsMedia(`${session}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n`), true);
  assert.equal(sdpSendsMedia(`${session}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n`), false);
  assert.equal(sdpSendsMedia(`${session}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n`), true, 'default is sendrecv');
  assert.equal(sdpSendsMedia(`${session}a=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n`), false, 'session level');
  assert.equal(sdpSendsMedia(`${session}m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n`), false, 'port 0');
  assert.equal(sdpSendsMedia(`${session}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`), false);
  assert.equal(
    sdpSendsMedia(`${session}m=audio 9 RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 RTP/SAVPF 96\r\na=inactive\r\n`),
    false,
  );
});
