import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '@itda/stun';
import { IceDemux, usernameLocalPart } from './demux.ts';
import { IceErrorCode } from './errors.ts';
import { encodeCheck } from './testing.ts';
import { tupleKey } from './tuple.ts';

const PWD = 'p'.repeat(32);

test('ownerForStun routes by the local part of USERNAME', () => {
  const demux = new IceDemux<string>();
  demux.register('ufragA', 'A');
  demux.register('ufragB', 'B');
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ username: 'ufragA:remote', pwd: PWD }))), 'A');
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ username: 'ufragB:x', pwd: PWD }))), 'B');
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ username: 'ufragC:x', pwd: PWD }))), undefined);
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ username: 'ufragA', pwd: PWD }))), undefined);
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ username: ':ufragA', pwd: PWD }))), undefined);
  assert.equal(demux.ownerForStun(decodeMessage(encodeCheck({ pwd: PWD }))), undefined);
  assert.equal(demux.stats.unknownUfrag, 1);
  assert.equal(demux.stats.noUsername, 3);
  assert.equal(demux.ownerForUfrag('ufragB'), 'B');
});

test('usernameLocalPart reads raw bytes without decoding and never throws', () => {
  assert.equal(usernameLocalPart(encodeCheck({ username: 'ufragA:remote', pwd: PWD })), 'ufragA');
  assert.equal(usernameLocalPart(encodeCheck({ pwd: PWD })), undefined);
  assert.equal(usernameLocalPart(encodeCheck({ username: 'nocolon', pwd: PWD })), undefined);
  assert.equal(usernameLocalPart(new Uint8Array(5)), undefined);
  const truncated = encodeCheck({ username: 'ufragA:remote', pwd: PWD }).subarray(0, 26);
  assert.equal(usernameLocalPart(truncated), undefined);
});

test('register: a ufrag of another owner is refused; an owner keeps its newest ufrags (ICE restart)', () => {
  const demux = new IceDemux<string>({ maxUfragsPerOwner: 2 });
  demux.register('u1', 'A');
  demux.register('u1', 'A'); // again: no-op
  assert.throws(() => demux.register('u1', 'B'), { code: IceErrorCode.UfragInUse });
  demux.register('u2', 'A');
  assert.equal(demux.ownerForUfrag('u1'), 'A');
  demux.register('u3', 'A');
  assert.equal(demux.ownerForUfrag('u1'), undefined);
  assert.equal(demux.ownerForUfrag('u2'), 'A');
  assert.equal(demux.ownerForUfrag('u3'), 'A');
  demux.unregisterUfrag('u2');
  assert.equal(demux.ownerForUfrag('u2'), undefined);
  demux.register('u1', 'B'); // free again
  assert.equal(demux.ownerForUfrag('u1'), 'B');
});

test('tuples: only verified ones route; unverified packets are counted', () => {
  const demux = new IceDemux<string>();
  demux.register('u1', 'A');
  const k = tupleKey('udp', '192.0.2.1', 1000);
  assert.equal(demux.ownerForTuple(k), undefined);
  assert.equal(demux.stats.unverifiedTuple, 1);
  assert.equal(demux.bindTuple(k, 'B'), false); // B is not registered
  assert.ok(demux.bindTuple(k, 'A'));
  assert.equal(demux.ownerForTuple(k), 'A');
  demux.unbindTuple(k);
  assert.equal(demux.ownerForTuple(k), undefined);
  assert.ok(demux.bindTuple(k, 'A'));
  demux.unbindTuples('A');
  assert.equal(demux.ownerForTuple(k), undefined);
  assert.equal(demux.ownerForUfrag('u1'), 'A');
  assert.ok(demux.bindTuple(k, 'A'));
  demux.unregister('A');
  assert.equal(demux.ownerForTuple(k), undefined);
  assert.equal(demux.ownerForUfrag('u1'), undefined);
  assert.equal(demux.ownerCount, 0);
  assert.equal(demux.tupleCount, 0);
  demux.unregister('A'); // unknown: ignored
});

test('a tuple verified for another owner moves to it', () => {
  const demux = new IceDemux<string>();
  demux.register('u1', 'A');
  demux.register('u2', 'B');
  const k = tupleKey('udp', '192.0.2.1', 1000);
  demux.bindTuple(k, 'A');
  demux.bindTuple(k, 'B');
  assert.equal(demux.ownerForTuple(k), 'B');
  assert.deepEqual(demux.tuplesOf('A'), []);
  assert.deepEqual(demux.tuplesOf('B'), [k]);
  assert.equal(demux.stats.tuplesMoved, 1);
});

test('maxTuplesPerOwner forgets the least recently bound tuple; maxTuples refuses', () => {
  const demux = new IceDemux<string>({ maxTuplesPerOwner: 2, maxTuples: 3 });
  demux.register('u1', 'A');
  demux.register('u2', 'B');
  const [k1, k2, k3, k4, k5] = [1, 2, 3, 4, 5].map((p) => tupleKey('udp', '192.0.2.1', p)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  demux.bindTuple(k1, 'A');
  demux.bindTuple(k2, 'A');
  demux.bindTuple(k1, 'A'); // k1 is now the most recent
  demux.bindTuple(k3, 'A'); // forgets k2
  assert.deepEqual(demux.tuplesOf('A'), [k1, k3]);
  assert.equal(demux.ownerForTuple(k2), undefined);
  assert.equal(demux.stats.tuplesEvicted, 1);
  assert.ok(demux.bindTuple(k4, 'B'));
  assert.equal(demux.bindTuple(k5, 'B'), false); // 3 in total
  assert.equal(demux.stats.tupleLimit, 1);
  assert.equal(demux.tupleCount, 3);
});

test('options are validated', () => {
  assert.throws(() => new IceDemux({ maxTuplesPerOwner: 0 }), { code: IceErrorCode.BadOption });
  assert.throws(() => new IceDemux({ maxTuples: 1.5 }), { code: IceErrorCode.BadOption });
  assert.throws(() => new IceDemux({ maxUfragsPerOwner: 17 }), { code: IceErrorCode.BadOption });
});
