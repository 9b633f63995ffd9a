import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SequenceRewriter, seqNewer, TimestampRewriter, tsNewer } from './rewriter.ts';

test('serial-number comparison across the wrap', () => {
  assert.equal(seqNewer(0, 0xffff), true);
  assert.equal(seqNewer(0xffff, 0), false);
  assert.equal(seqNewer(5, 5), false);
  assert.equal(seqNewer(0x7fff, 0), true);
  assert.equal(seqNewer(0x8000, 0), false);
  assert.equal(tsNewer(1, 0xffffffff), true);
  assert.equal(tsNewer(0xffffffff, 1), false);
});

test('sequence numbers pass through unchanged for the first source', () => {
  const r = new SequenceRewriter();
  assert.equal(r.rewrite(100), 100);
  assert.equal(r.rewrite(101), 101);
  assert.equal(r.rewrite(103), 103, 'gaps from loss are kept');
  assert.equal(r.rewrite(102), 102, 'reordering is kept');
  assert.equal(r.highest, 103);
});

test('a source switch continues at highest + 1, across the 16-bit wrap', () => {
  const r = new SequenceRewriter();
  for (let s = 0xfffd; s <= 0xffff; s++) r.rewrite(s);
  r.switchSource();
  assert.equal(r.rewrite(5000), 0, 'wraps to 0');
  assert.equal(r.rewrite(5001), 1);
  r.switchSource();
  assert.equal(r.rewrite(0xfffe), 2);
  assert.equal(r.rewrite(0xffff), 3);
  assert.equal(r.rewrite(0), 4, 'the input wrap keeps the output continuous');
  assert.equal(r.rewrite(1), 5);
});

test('skipped packets close their gap', () => {
  const r = new SequenceRewriter();
  assert.equal(r.rewrite(10), 10);
  r.omit(11);
  assert.equal(r.rewrite(12), 11);
  r.omit(13);
  r.omit(14);
  assert.equal(r.rewrite(15), 12);
  r.omit(14); // an old one: no further shift
  assert.equal(r.rewrite(16), 13);
});

test('timestamps pass through, then continue by wall-clock time after a switch', () => {
  const r = new TimestampRewriter(90000);
  assert.equal(r.rewrite(1000, 0), 1000);
  assert.equal(r.rewrite(4000, 33), 4000);
  r.switchSource();
  // 100 ms later at 90 kHz: 9000 ticks after the last output.
  assert.equal(r.rewrite(777, 133), 13000);
  assert.equal(r.rewrite(777 + 3000, 166), 16000);
  assert.equal(r.highest, 16000);
});

test('timestamps across the 32-bit wrap, and at least one tick per switch', () => {
  const r = new TimestampRewriter(48000);
  assert.equal(r.rewrite(0xffffff00, 0), 0xffffff00);
  assert.equal(r.rewrite(0xffffff00 + 960, 20), (0xffffff00 + 960) >>> 0);
  r.switchSource();
  assert.equal(r.rewrite(12345, 20), (0xffffff00 + 961) >>> 0, 'same instant: one tick later');
  assert.equal(r.rewrite(12345 + 960, 40), (0xffffff00 + 961 + 960) >>> 0);
  r.switchSource();
  const out = r.rewrite(0, 60);
  assert.equal(out, (0xffffff00 + 961 + 960 + 960) >>> 0);
  assert.ok(tsNewer(out, 0xffffff00));
});

test('the clock rate must be positive', () => {
  assert.throws(() => new TimestampRewriter(0), RangeError);
});

test('SequenceRewriter.original inverts rewrite under the current offset, across the wrap', () => {
  const r = new SequenceRewriter();
  r.rewrite(100);
  r.switchSource();
  const out = r.rewrite(65530); // continues at 101
  assert.equal(out, 101);
  for (const input of [65530, 65535, 0, 7]) assert.equal(r.original(r.rewrite(input)), input);
});
