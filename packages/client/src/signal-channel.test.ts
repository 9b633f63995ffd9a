import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { DEFAULT_LIMITS, MAX_DATA_PAYLOAD } from '@itda/protocol';
import type { ReceivedFile } from './file-transfer.ts';
import { PeerChannel } from './peer-channel.ts';
import { encodePeerFrame } from './peer-protocol.ts';
import { dataLimits, decodeSignalPayload, encodeSignalPayload, SignalDataChannel } from './signal-channel.ts';

/** The server's data budget (a token bucket in payload characters), to check the channel stays under it. */
class ServerBudget {
  tokens: number = DEFAULT_LIMITS.dataBurstBytes;
  last: number;
  dropped = 0;
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
    this.last = clock.now();
  }
  take(n: number): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(
      DEFAULT_LIMITS.dataBurstBytes,
      this.tokens + ((now - this.last) * DEFAULT_LIMITS.dataBytesPerSecond) / 1000,
    );
    this.last = now;
    if (this.tokens < n) {
      this.dropped++;
      return false;
    }
    this.tokens -= n;
    return true;
  }
}

function blobOf(size: number): Blob {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return new Blob([bytes]);
}

test('payloads: text as t…, binary as b + base64, both ways; junk is invalid_peer_message', () => {
  assert.equal(encodeSignalPayload('{"t":"chat"}'), 't{"t":"chat"}');
  assert.equal(decodeSignalPayload('t{"t":"chat"}'), '{"t":"chat"}');
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const payload = encodeSignalPayload(bytes.buffer);
  assert.equal(payload, `b${Buffer.from(bytes).toString('base64')}`);
  assert.deepEqual(new Uint8Array(decodeSignalPayload(payload) as ArrayBuffer), bytes);
  const chunk = new Uint8Array(16 * 1024).fill(9);
  assert.ok(encodeSignalPayload(chunk.buffer).length < MAX_DATA_PAYLOAD);
  for (const bad of ['', 'x', 'b***']) {
    assert.throws(() => decodeSignalPayload(bad), { code: 'invalid_peer_message' });
  }
});

async function transfer(size: number): Promise<{ file: ReceivedFile; budget: ServerBudget; elapsedMs: number }> {
  const clock = new ManualClock(0);
  const budget = new ServerBudget(clock);
  const receiver = new PeerChannel({
    readyState: 'open',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    send: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  });
  const received = new Promise<ReceivedFile>((resolve, reject) => {
    receiver.on('fileReceived', resolve);
    receiver.on('error', reject);
  });
  const ch = new SignalDataChannel({
    clock,
    send: (payload) => {
      if (budget.take(payload.length)) receiver.receive(decodeSignalPayload(payload));
    },
  });
  const sender = new PeerChannel(ch);
  const done = sender.sendFile({ id: 'f1', name: 'a.bin', mime: 'application/octet-stream', blob: blobOf(size) });
  let settled = false;
  done.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  // Let the sender's promises run, then move time on until everything is out (bounded).
  for (let i = 0; i < 2000 && !(settled && ch.bufferedAmount === 0); i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(50);
  }
  await done;
  const file = await received;
  ch.close();
  return { file, budget, elapsedMs: clock.now() };
}

test('a 300 KiB file goes through at once, within the server budget', async () => {
  const { file, budget } = await transfer(300 * 1024);
  assert.equal(file.size, 300 * 1024);
  assert.deepEqual(
    new Uint8Array(await file.blob.arrayBuffer()),
    new Uint8Array(await blobOf(300 * 1024).arrayBuffer()),
  );
  assert.equal(budget.dropped, 0);
});

test('a 2 MiB file is paced under the server budget: nothing dropped', async () => {
  const size = 2 * 1024 * 1024;
  const { file, budget, elapsedMs } = await transfer(size);
  assert.equal(file.size, size);
  assert.equal(budget.dropped, 0);
  // base64 of 2 MiB ≈ 2.8 M characters at ≤ 90 % of 256 KiB/s after a 512 K burst: several seconds of clock.
  assert.ok(elapsedMs > 5_000, `paced over ${elapsedMs} ms`);
});

test('frames wait while disconnected and go out on reconnect; close drops them and fires close', () => {
  const clock = new ManualClock(0);
  const sent: string[] = [];
  const ch = new SignalDataChannel({ clock, send: (p) => sent.push(p) });
  ch.setConnected(false);
  ch.send(encodePeerFrame({ t: 'chat', id: 'c1', text: 'hi', ts: 1 }));
  assert.equal(sent.length, 0);
  assert.ok(ch.bufferedAmount > 0);
  ch.setConnected(true);
  assert.equal(sent.length, 1);
  assert.equal(ch.bufferedAmount, 0);
  let closed = 0;
  ch.addEventListener('close', () => closed++);
  ch.setConnected(false);
  ch.send('x');
  ch.close();
  ch.close();
  assert.equal(closed, 1);
  assert.equal(ch.readyState, 'closed');
  assert.equal(ch.bufferedAmount, 0);
  assert.throws(() => ch.send('y'), { code: 'invalid_state' });
});

test('dataLimits: 16 KiB chunks under the defaults; smaller messages, smaller chunks that still fit', () => {
  assert.deepEqual(dataLimits({ maxMessageBytes: 65536, maxDataPayload: MAX_DATA_PAYLOAD }), {
    maxPayload: MAX_DATA_PAYLOAD,
    chunkBytes: 16 * 1024,
  });
  const small = dataLimits({ maxMessageBytes: 16 * 1024 });
  assert.equal(small.maxPayload, 16 * 1024 - 512);
  assert.equal(small.chunkBytes, 11 * 1024);
  assert.ok(encodeSignalPayload(new ArrayBuffer(small.chunkBytes)).length <= small.maxPayload);
  const ch = new SignalDataChannel({ clock: new ManualClock(0), send: () => undefined, maxPayload: 100 });
  assert.throws(() => ch.send('x'.repeat(100)), { code: 'invalid_state' });
  ch.close();
});
