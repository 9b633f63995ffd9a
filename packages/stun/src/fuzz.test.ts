/**
 * Fuzzing the decoders with random bytes and random mutations of valid messages.
 * Bounded: at most ITERATIONS inputs or TIME_BUDGET_MS, whichever comes first.
 * Seeded: a failure names its seed and iteration; rerun with STUN_FUZZ_SEED=<seed>.
 *
 * Properties: decoders throw nothing but StunDecodeError; a message that decodes can be
 * read attribute by attribute; re-encoding what was decoded either fails with a
 * StunEncodeError (a value the RFCs let receivers accept but not senders send) or gives
 * a message that decodes to the same thing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { KNOWN_ATTRIBUTE_TYPES, type KnownAttrType } from './attributes.ts';
import { decodeChannelData } from './channel-data.ts';
import { AttrType, StunClass, StunMethod } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { classifyPacket, isChannelData, isStunMessage, streamFrameLength } from './demux.ts';
import { encodeMessage } from './encode.ts';
import { StunDecodeError, StunEncodeError } from './errors.ts';
import { verifyFingerprint } from './fingerprint.ts';
import { verifyIntegrity } from './integrity.ts';
import { shortTermKey } from './keys.ts';
import { attr, type StunMessage } from './message.ts';
import {
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_IPV6_RESPONSE,
  SAMPLE_LONG_TERM_REQUEST,
  SAMPLE_REQUEST,
  SAMPLE_SHA256_REQUEST,
} from './rfc5769-vectors.ts';

const ITERATIONS = 20_000;
const TIME_BUDGET_MS = 2_000;
const SEED = Number(process.env.STUN_FUZZ_SEED ?? 0x5eed1234) >>> 0;

const KEY = shortTermKey('VOkJxbRl1RmTxUk/WvJxBt');

function corpus(): Uint8Array[] {
  const tid = Uint8Array.from({ length: 12 }, (_, i) => i * 17);
  const turn: StunMessage = {
    class: StunClass.Request,
    method: StunMethod.Allocate,
    transactionId: tid,
    attributes: [
      attr(AttrType.RequestedTransport, 17),
      attr(AttrType.Lifetime, 600),
      attr(AttrType.EvenPort, { reserve: true }),
      attr(AttrType.XorPeerAddress, { family: 'IPv6', address: '2001:db8::7', port: 9 }),
      attr(AttrType.Data, Uint8Array.of(1, 2, 3, 4, 5)),
      attr(AttrType.ErrorCode, { code: 438, reason: 'Stale Nonce' }),
      attr(AttrType.UnknownAttributes, [1, 2, 3]),
      attr(AttrType.PasswordAlgorithms, [{ algorithm: 2, parameters: new Uint8Array(0) }]),
      attr(AttrType.ChangeRequest, { changeIp: true, changePort: true }),
      attr(AttrType.IceControlling, 12345678901234567890n),
    ],
  };
  return [
    SAMPLE_REQUEST,
    SAMPLE_IPV4_RESPONSE,
    SAMPLE_IPV6_RESPONSE,
    SAMPLE_LONG_TERM_REQUEST,
    SAMPLE_SHA256_REQUEST,
    encodeMessage(turn, { integrityKey: KEY, integritySha256Key: KEY, fingerprint: true }),
    Uint8Array.of(0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0),
  ];
}

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(rand() * n);
  let buf = input.slice();
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    switch (pick(7)) {
      case 0: // flip a bit
        if (buf.length > 0) {
          const i = pick(buf.length);
          buf[i] = (buf[i] as number) ^ (1 << pick(8));
        }
        break;
      case 1: // random byte
        if (buf.length > 0) buf[pick(buf.length)] = pick(256);
        break;
      case 2: // truncate
        buf = buf.slice(0, pick(buf.length + 1));
        break;
      case 3: {
        // append random bytes, keeping the header's length in step half the time
        const extra = Uint8Array.from({ length: pick(12) }, () => pick(256));
        const grown = new Uint8Array(buf.length + extra.length);
        grown.set(buf);
        grown.set(extra, buf.length);
        buf = grown;
        if (rand() < 0.5 && buf.length >= 20) {
          const len = buf.length - 20;
          buf[2] = len >> 8;
          buf[3] = len & 0xff;
        }
        break;
      }
      case 4: // an attribute length field somewhere
        if (buf.length >= 24) {
          const i = 20 + 4 * pick((buf.length - 20) >> 2);
          if (i + 3 < buf.length) buf[i + 3] = pick(256);
        }
        break;
      case 5: // an attribute type field: a registered type, so its decoder is exercised
        if (buf.length >= 24) {
          const i = 20 + 4 * pick((buf.length - 20) >> 2);
          const type = KNOWN_ATTRIBUTE_TYPES[pick(KNOWN_ATTRIBUTE_TYPES.length)] as number;
          if (i + 1 < buf.length) {
            buf[i] = type >> 8;
            buf[i + 1] = type & 0xff;
          }
        }
        break;
      default: // the message length field
        if (buf.length >= 4) {
          buf[2] = pick(2) === 0 ? 0 : pick(256);
          buf[3] = pick(256);
        }
    }
  }
  return buf;
}

function randomBytes(rand: () => number): Uint8Array {
  const n = Math.floor(rand() * 120);
  const buf = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  if (n >= 20 && rand() < 0.7) {
    // A plausible header, so the attribute walk is reached.
    buf[0] = (buf[0] as number) & 0x3f;
    buf.set([0x21, 0x12, 0xa4, 0x42], 4);
    const len = (n - 20) & ~3;
    buf[2] = len >> 8;
    buf[3] = len & 0xff;
    return buf.subarray(0, 20 + len);
  }
  return buf;
}

/** Everything a server would do with an untrusted packet. Throws only StunDecodeError (or StunEncodeError on re-encode). */
function exercise(buf: Uint8Array): void {
  classifyPacket(buf);
  isStunMessage(buf);
  isChannelData(buf);
  verifyFingerprint(buf);
  expectDecodeError(() => streamFrameLength(buf));
  expectDecodeError(() => decodeChannelData(buf));
  expectDecodeError(() => decodeChannelData(buf, true));
  expectDecodeError(() => decodeMessage(buf));
  let m: ReturnType<typeof decodeMessage>;
  try {
    // Mutations break FINGERPRINT almost always; skip that check to reach the attributes.
    m = decodeMessage(buf, { checkFingerprint: false });
  } catch (err) {
    if (err instanceof StunDecodeError) return;
    throw err;
  }
  verifyIntegrity(m, KEY);
  verifyIntegrity(m, KEY, { algorithm: 'sha1' });
  for (const slot of m.attributes) expectDecodeError(() => m.get(slot.type as KnownAttrType));
  let decoded: StunMessage;
  try {
    decoded = m.toMessage();
  } catch (err) {
    if (err instanceof StunDecodeError) return;
    throw err;
  }
  let again: Uint8Array;
  try {
    again = encodeMessage(decoded);
  } catch (err) {
    if (err instanceof StunEncodeError) return;
    throw err;
  }
  assert.deepEqual(decodeMessage(again).toMessage(), decoded);
}

function expectDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof StunDecodeError)) throw err;
  }
}

test('fuzz: random bytes and mutated messages only ever throw StunDecodeError', () => {
  const rand = seededRandom(SEED);
  const seeds = corpus();
  for (const s of seeds) exercise(s);
  const deadline = performance.now() + TIME_BUDGET_MS;
  let i = 0;
  for (; i < ITERATIONS && performance.now() < deadline; i++) {
    const input =
      rand() < 0.25 ? randomBytes(rand) : mutate(seeds[Math.floor(rand() * seeds.length)] as Uint8Array, rand);
    try {
      exercise(input);
    } catch (err) {
      assert.fail(
        `seed 0x${SEED.toString(16)} iteration ${i} input ${Buffer.from(input).toString('hex')}: ${String(err)}`,
      );
    }
  }
  assert.ok(i > 0);
});
