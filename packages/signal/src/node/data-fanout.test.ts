/**
 * Issue 10, hole 7, through real WebSockets: thirty participants each send 21 × 48 KiB of
 * `data` (within their own 1 MiB burst) at one receiver whose socket does not read. The
 * receiver is not cut ("slow consumer") — the room's budget bounds what it is sent, and
 * past `maxBufferedDataBytes` queued its `data` is dropped instead of queued — and once it
 * reads again, its session works.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MAX_DATA_PAYLOAD } from '@itda/protocol';
import { SignalServer, type SignalServerOptions } from './signal-server.ts';
import { TestClient } from './test-client.ts';

/** Generous bound for each wait (a busy CI machine); never a speed assertion. */
const WAIT_MS = 30_000;

async function scenario(options: SignalServerOptions): Promise<SignalServer> {
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const signal = new SignalServer({ roomCapacity: 40, ...options });
  signal.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  const clients: TestClient[] = [];
  try {
    const reader = await TestClient.connect(url, { timeoutMs: WAIT_MS });
    clients.push(reader);
    const { participantId } = await reader.join('fanout', 'reader');
    let readerClosed = false;
    void reader.closed().then(() => {
      readerClosed = true;
    });
    const senders = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const c = await TestClient.connect(url, { timeoutMs: WAIT_MS });
        clients.push(c);
        await c.join('fanout', `s${i}`);
        return c;
      }),
    );
    reader.ws.pause(); // stops reading its socket: the server's writes back up
    const payload = 'z'.repeat(MAX_DATA_PAYLOAD);
    // All at once, interleaved by the event loop; a ping after each sender's data tells
    // when the server has handled (and fanned out) all of it.
    await Promise.all(
      senders.map(async (s) => {
        for (let i = 0; i < 21; i++) s.send({ type: 'data', to: participantId, payload });
        s.send({ type: 'ping' });
        await s.next('pong');
      }),
    );
    assert.equal(readerClosed, false, 'the reader was not cut while it did not read');
    assert.equal(signal.core.metrics.errors.get('slow_consumer') ?? 0, 0);
    reader.ws.resume();
    reader.send({ type: 'ping', ts: 7 });
    assert.deepEqual(await reader.next('pong'), { type: 'pong', ts: 7 });
    assert.equal(readerClosed, false);
    assert.equal(signal.connections, 31);
    return signal;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await signal.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
}

test('data fan-out, defaults: 30 senders at a paused reader — the room budget refuses most, nobody is cut', async () => {
  const signal = await scenario({});
  assert.ok((signal.core.metrics.errors.get('room_data_limited') ?? 0) > 0, 'the room budget refused some');
});

test('data fan-out, room budget off: the paused reader’s data is dropped past maxBufferedDataBytes, not the reader', async () => {
  const signal = await scenario({
    roomDataBytesPerSecond: 1024 * 1024 * 1024,
    roomDataBurstBytes: 1024 * 1024 * 1024,
  });
  assert.ok((signal.core.metrics.errors.get('data_dropped') ?? 0) > 0, 'data was dropped for the paused reader');
  assert.equal(signal.core.metrics.errors.get('room_data_limited') ?? 0, 0);
});

test('maxBufferedDataBytes is validated once', () => {
  assert.throws(() => new SignalServer({ maxBufferedDataBytes: 1000 }), /maxBufferedDataBytes/);
  assert.throws(() => new SignalServer({ maxBufferedBytes: 1 << 20, maxBufferedDataBytes: 2 << 20 }), RangeError);
});
