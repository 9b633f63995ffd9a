/** The NAT kind a pre-join network check reads from gathered candidates (the browser itself: e2e/lab-matrix.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Gathered, natKindOf } from './network-check.ts';

type Cand = Gathered['candidates'][number];
const srflx = (port: number, relatedPort: number | null = 40000, address = '203.0.113.9'): Cand => ({
  type: 'srflx',
  address,
  port,
  relatedAddress: relatedPort === null ? null : '10.0.0.5',
  relatedPort,
});
const host = (port: number): Cand => ({
  type: 'host',
  address: '10.0.0.5',
  port,
  relatedAddress: null,
  relatedPort: null,
});
const done = (candidates: Cand[], errors: string[] = []): Gathered => ({ candidates, errors, complete: true });

test('two destinations, one reflexive port: the NAT keeps it; two ports: it changes it', () => {
  assert.equal(natKindOf(done([host(40000), srflx(51000)]), 2, true), 'keeps-port');
  assert.equal(natKindOf(done([host(40000), srflx(51000), srflx(51877)]), 2, true), 'changes-port');
});

test('one answer missing (an error, or gathering cut short) is not proof of a kept port', () => {
  assert.equal(natKindOf(done([srflx(51000)], ['stun:192.0.2.2:3479']), 2, true), 'unknown');
  assert.equal(natKindOf({ candidates: [srflx(51000)], errors: [], complete: false }, 2, true), 'unknown');
});

test('one destination: a reflexive port equal to the local port counts as kept, another is unknown', () => {
  assert.equal(natKindOf(done([srflx(40000)]), 1, true), 'keeps-port');
  assert.equal(natKindOf(done([srflx(51000)]), 1, true), 'unknown');
  assert.equal(natKindOf(done([srflx(40000, null)]), 1, true), 'unknown');
});

test('reflexive ports of two local sockets are compared per socket, not with each other', () => {
  const g = done([srflx(51000, 40000), srflx(52000, 40002), srflx(52000, 40002, '203.0.113.9')]);
  assert.equal(natKindOf(g, 2, true), 'keeps-port');
});

test('no reflexive candidate: no NAT when UDP works and STUN answered; unknown otherwise', () => {
  assert.equal(natKindOf(done([host(40000)]), 2, true), 'none');
  assert.equal(natKindOf(done([host(40000)]), 2, false), 'unknown');
  assert.equal(natKindOf({ candidates: [host(40000)], errors: [], complete: false }, 2, true), 'unknown');
});
