/**
 * Seeded fuzzing: random and mutated input never makes the ICE code throw anything but
 * typed errors — the agent and the demux never throw on received packets at all, the
 * TCP decoder only IceError. Bounded: a fixed number of cases and at most ~2 s each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { seededRandom } from '@itda/common/testing';
import { type DecodedStunMessage, decodeMessage, StunDecodeError } from '@itda/stun';
import { IceLiteAgent } from './agent.ts';
import { IceDemux, usernameLocalPart } from './demux.ts';
import { IceError } from './errors.ts';
import { frameTcp, TcpFrameDecoder } from './tcp-framing.ts';
import { encodeCheck } from './testing.ts';
import { iceTuple } from './tuple.ts';

const CASES = 20_000;
const TIME_LIMIT_MS = 2000;
const LOCAL = { ufrag: 'fuzzUfrag0123456', pwd: 'fuzzPassword0123456789abcdefABCD' };

function mutate(rand: () => number, base: Uint8Array): Uint8Array {
  const out = Uint8Array.from(base);
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  return rand() < 0.2 ? out.subarray(0, Math.floor(rand() * out.length)) : out;
}

function tryDecode(bytes: Uint8Array): DecodedStunMessage | undefined {
  try {
    return decodeMessage(bytes, { checkFingerprint: false });
  } catch (err) {
    assert.ok(err instanceof StunDecodeError, String(err));
    return undefined;
  }
}

test('agent and demux: random and mutated checks never throw', () => {
  const rand = seededRandom(0x1ce);
  const agent = new IceLiteAgent({ local: LOCAL, clock: new ManualClock() });
  agent.setRemoteUfrag('peer');
  const demux = new IceDemux<string>();
  demux.register(LOCAL.ufrag, 'A');
  const seeds = [
    encodeCheck({ username: `${LOCAL.ufrag}:peer`, pwd: LOCAL.pwd, useCandidate: true }),
    encodeCheck({ username: `${LOCAL.ufrag}:peer`, pwd: LOCAL.pwd, role: 'controlled' }),
    encodeCheck({ username: `${LOCAL.ufrag}:peer`, pwd: LOCAL.pwd, sha256: true }),
    encodeCheck({ pwd: LOCAL.pwd }),
  ];
  const tuple = iceTuple('udp', '127.0.0.1', 5000);
  const start = performance.now();
  let decoded = 0;
  for (let i = 0; i < CASES && performance.now() - start < TIME_LIMIT_MS; i++) {
    const random = rand() < 0.3;
    const bytes = random
      ? Uint8Array.from({ length: Math.floor(rand() * 120) }, () => Math.floor(rand() * 256))
      : mutate(rand, seeds[i % seeds.length] as Uint8Array);
    usernameLocalPart(bytes);
    const msg = tryDecode(bytes);
    if (msg === undefined) continue;
    decoded++;
    demux.ownerForStun(msg);
    const out = agent.handleBindingRequest(msg, tuple);
    if (out !== null) decodeMessage(out); // every answer is well-formed
    agent.tick(i);
  }
  assert.ok(decoded > 0);
  const s = agent.stats;
  const outcomes =
    s.success +
    s.badRequest +
    s.badUsername +
    s.badIntegrity +
    s.badFingerprint +
    s.unknownAttribute +
    s.roleConflict +
    s.notRequest;
  assert.equal(outcomes, s.requests, 'every request has exactly one outcome');
});

test('TCP framing: random chunks throw nothing but IceError', () => {
  const rand = seededRandom(0x4571);
  const start = performance.now();
  let decoder = new TcpFrameDecoder({ maxFrameBytes: 1 + Math.floor(rand() * 65_535) });
  for (let i = 0; i < CASES && performance.now() - start < TIME_LIMIT_MS; i++) {
    const chunk =
      rand() < 0.5
        ? Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))
        : frameTcp(Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    try {
      for (const frame of decoder.push(chunk)) assert.ok(frame.length > 0);
    } catch (err) {
      assert.ok(err instanceof IceError, String(err));
      decoder = new TcpFrameDecoder({
        maxFrameBytes: 1 + Math.floor(rand() * 65_535),
        maxBufferedBytes: 2 + Math.floor(rand() * 65_535),
      });
    }
  }
});
