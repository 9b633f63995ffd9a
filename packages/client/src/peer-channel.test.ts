import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientError } from './errors.ts';
import { ClientErrorCode } from './errors.ts';
import type { ChannelLike } from './file-transfer.ts';
import { FileReceiver, RECEIVED_BLOB_TYPE, sha256Hex } from './file-transfer.ts';
import { type ChannelFileProgress, PeerChannel } from './peer-channel.ts';
import { encodePeerFrame } from './peer-protocol.ts';

/** One end of an in-memory data channel: frames wait in `outbox` until `deliver()`. */
class FakeChannel implements ChannelLike {
  readyState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  maxBuffered = 0;
  frames = 0;
  readonly outbox: (string | ArrayBuffer)[] = [];
  readonly #listeners = new Map<string, Set<() => void>>();
  target: PeerChannel | undefined;

  send(data: string | ArrayBuffer): void {
    if (this.readyState !== 'open') throw new Error('not open');
    this.outbox.push(typeof data === 'string' ? data : data.slice(0));
    this.bufferedAmount += typeof data === 'string' ? data.length : data.byteLength;
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount);
    this.frames++;
  }
  addEventListener(type: string, fn: () => void): void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(fn);
  }
  removeEventListener(type: string, fn: () => void): void {
    this.#listeners.get(type)?.delete(fn);
  }
  fire(type: string): void {
    for (const fn of [...(this.#listeners.get(type) ?? [])]) fn();
  }
  /** Hands every queued frame to the other side, as the network would. */
  deliver(): void {
    const wasAbove = this.bufferedAmount > this.bufferedAmountLowThreshold;
    for (const f of this.outbox.splice(0)) this.target?.receive(f);
    this.bufferedAmount = 0;
    if (wasAbove) this.fire('bufferedamountlow');
  }
}

function pair(): { a: PeerChannel; b: PeerChannel; ab: FakeChannel; ba: FakeChannel } {
  const ab = new FakeChannel();
  const ba = new FakeChannel();
  const a = new PeerChannel(ab);
  const b = new PeerChannel(ba);
  ab.target = b;
  ba.target = a;
  return { a, b, ab, ba };
}

/** Delivers until `done` settles: bounded in rounds. */
async function pump(ch: FakeChannel, done: Promise<unknown>): Promise<void> {
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  for (let i = 0; i < 10_000 && !finished; i++) {
    await new Promise((r) => setImmediate(r));
    ch.deliver();
  }
  assert.ok(finished, 'transfer did not finish');
}

test('chat frames reach the other side', async () => {
  const { a, b, ab } = pair();
  const got: string[] = [];
  b.on('chat', (f) => got.push(f.text));
  assert.equal(a.sendChat({ t: 'chat', id: 'm1', text: 'hi', ts: 1 }), true);
  ab.deliver();
  await b.settled();
  assert.deepEqual(got, ['hi']);
  ab.readyState = 'closed';
  assert.equal(a.sendChat({ t: 'chat', id: 'm2', text: 'lost', ts: 2 }), false);
});

test('a file is chunked with backpressure, reassembled, verified, and progress reported both sides', async () => {
  const { a, b, ab } = pair();
  const size = 300 * 1024 + 123;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31) % 251;
  const progress: ChannelFileProgress[] = [];
  a.on('fileProgress', (p) => progress.push(p));
  b.on('fileProgress', (p) => progress.push(p));
  const received = b.next('fileReceived');
  const sent = a.sendFile({ id: 'f1', name: 'data.bin', mime: 'application/octet-stream', blob: new Blob([bytes]) });
  await pump(ab, sent);
  await sent;
  ab.deliver();
  const [file] = await received;
  assert.equal(file.name, 'data.bin');
  assert.equal(file.size, size);
  assert.equal(file.mime, 'application/octet-stream');
  assert.deepEqual(new Uint8Array(await file.blob.arrayBuffer()), bytes);
  // 16 KiB chunks: 19 binary frames + file-start + file-end.
  assert.equal(ab.frames, Math.ceil(size / 16384) + 2);
  assert.ok(ab.maxBuffered <= 1024 * 1024 + 16384, 'respects the high-water mark');
  const last = (dir: string) => progress.filter((p) => p.direction === dir).at(-1);
  assert.equal(last('send')?.transferred, size);
  assert.equal(last('receive')?.transferred, size);
});

test('a received file is typed application/octet-stream whatever mime its sender claims', async () => {
  const { a, b, ab } = pair();
  const received = b.next('fileReceived');
  const html = '<script>localStorage.setItem("pwned", "1")</script>';
  const sent = a.sendFile({ id: 'f1', name: 'meeting-notes.html', mime: 'text/html', blob: new Blob([html]) });
  await pump(ab, sent);
  ab.deliver();
  const [file] = await received;
  assert.equal(file.mime, 'text/html', 'the claim is kept for display');
  assert.equal(file.blob.type, RECEIVED_BLOB_TYPE);
  assert.equal(await file.blob.text(), html);
});

test('two queued files go one after the other', async () => {
  const { a, b, ab } = pair();
  const names: string[] = [];
  b.on('fileReceived', (f) => names.push(f.name));
  const one = a.sendFile({ id: 'f1', name: 'one.txt', mime: 'text/plain', blob: new Blob(['x'.repeat(40_000)]) });
  const two = a.sendFile({ id: 'f2', name: 'two.txt', mime: 'text/plain', blob: new Blob(['y'.repeat(20_000)]) });
  await pump(ab, Promise.all([one, two]));
  ab.deliver();
  await b.settled();
  assert.deepEqual(names, ['one.txt', 'two.txt']);
});

test('a size or hash mismatch is reported as file_corrupt; an oversized file is refused', async () => {
  const { b } = pair();
  const errors: [ClientError, string | undefined][] = [];
  b.on('error', (e, id) => errors.push([e, id]));
  b.receive(encodePeerFrame({ t: 'file-start', id: 'f1', name: 'a', size: 4, mime: '' }));
  b.receive(new Uint8Array([1, 2, 3]).buffer);
  b.receive(encodePeerFrame({ t: 'file-end', id: 'f1' }));
  b.receive(encodePeerFrame({ t: 'file-start', id: 'f2', name: 'a', size: 2, mime: '' }));
  b.receive(new Uint8Array([1, 2]).buffer);
  b.receive(encodePeerFrame({ t: 'file-end', id: 'f2', sha256: '0'.repeat(64) }));
  b.receive(new Uint8Array([9]).buffer);
  b.receive('not json');
  await b.settled();
  assert.deepEqual(
    errors.map(([e, id]) => [e.code, id]),
    [
      [ClientErrorCode.FileCorrupt, 'f1'],
      [ClientErrorCode.FileCorrupt, 'f2'],
      [ClientErrorCode.FileCorrupt, undefined],
      [ClientErrorCode.InvalidPeerMessage, undefined],
    ],
  );
  const r = new FileReceiver(10);
  assert.throws(() => r.start({ t: 'file-start', id: 'big', name: 'b', size: 11, mime: '' }), {
    code: ClientErrorCode.FileTooLarge,
  });
  const { a } = pair();
  await assert.rejects(
    new PeerChannel(new FakeChannel(), { maxFileBytes: 1 }).sendFile({
      id: 'x',
      name: 'x',
      mime: '',
      blob: new Blob(['ab']),
    }),
    { code: ClientErrorCode.FileTooLarge },
  );
  a.close();
});

test('closing the channel mid-transfer aborts the sender', async () => {
  const { a, ab } = pair();
  const sent = a.sendFile({ id: 'f1', name: 'big', mime: '', blob: new Blob([new Uint8Array(3 * 1024 * 1024)]) });
  for (let i = 0; i < 100 && ab.bufferedAmount <= 1024 * 1024; i++) await new Promise((r) => setImmediate(r));
  ab.readyState = 'closed';
  ab.fire('close');
  await assert.rejects(sent, { code: ClientErrorCode.TransferAborted });
});

test('sha256Hex matches a known vector', async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode('abc').buffer),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});
