/**
 * The RFC 5780 decision logic against a model NAT (a unit test of one module: the real
 * sockets are in nat-probe-udp.test.ts and the real NATs in e2e/lab-nat.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BindingAnswer,
  type BindingProbe,
  discoverNatBehaviour,
  type FilteringBehaviour,
  type MappingBehaviour,
  type TransportAddress,
} from './nat-behaviour.ts';
import { natReport } from './nat-words.ts';

const PRIMARY = { address: '192.0.2.1', port: 3478 };
const ALT = { address: '192.0.2.2', port: 3479 };
const LOCAL = { address: '10.0.0.5', port: 40000 };
const key = (a: TransportAddress): string => `${a.address}:${a.port}`;

/** A NAT with a public address, the given mapping and filtering, in front of an RFC 5780 server. */
function modelNat(
  mapping: MappingBehaviour | 'blocked',
  filtering: FilteringBehaviour,
  rfc5780 = true,
): BindingProbe & { sent: string[] } {
  const mappings = new Map<string, number>();
  const sentTo = new Set<string>();
  let nextPort = 50000;
  const mappedFor = (to: TransportAddress): TransportAddress => {
    if (mapping === 'none') return LOCAL;
    const k = mapping === 'endpoint-independent' ? '' : mapping === 'address-dependent' ? to.address : key(to);
    let port = mappings.get(k);
    if (port === undefined) {
      port = nextPort++;
      mappings.set(k, port);
    }
    return { address: '203.0.113.9', port };
  };
  const lets = (from: TransportAddress): boolean => {
    if (mapping === 'none' || filtering === 'endpoint-independent') return true;
    if (filtering === 'address-dependent') return [...sentTo].some((s) => s.startsWith(`${from.address}:`));
    return sentTo.has(key(from));
  };
  const sent: string[] = [];
  return {
    local: LOCAL,
    sent,
    async bind(to, change): Promise<BindingAnswer | undefined> {
      sent.push(`${key(to)}${change === undefined ? '' : ` ip=${change.changeIp} port=${change.changePort}`}`);
      if (mapping === 'blocked') return undefined;
      sentTo.add(key(to));
      const mapped = mappedFor(to);
      if (!rfc5780) return change === undefined ? { mapped, from: to } : undefined;
      const fromPrimaryIp = to.address === PRIMARY.address;
      const ip = change?.changeIp === true ? !fromPrimaryIp : fromPrimaryIp;
      const port = change?.changePort === true ? to.port !== PRIMARY.port : to.port === PRIMARY.port;
      const from = { address: ip ? PRIMARY.address : ALT.address, port: port ? PRIMARY.port : ALT.port };
      return lets(from) ? { mapped, other: ALT, from } : undefined;
    },
  };
}

const KINDS: MappingBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const FILTERS: FilteringBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];

test('each mapping and filtering behaviour of the model NAT is named as it is', async () => {
  for (const mapping of KINDS) {
    for (const filtering of FILTERS) {
      const found = await discoverNatBehaviour(modelNat(mapping, filtering), PRIMARY);
      assert.equal(found.mapping, mapping, `${mapping}/${filtering}`);
      assert.equal(found.filtering, filtering, `${mapping}/${filtering}`);
      assert.equal(found.udp, true);
      assert.equal(found.rfc5780, true);
    }
  }
});

test('no NAT: the mapped address is the local one', async () => {
  const r = natReport(await discoverNatBehaviour(modelNat('none', 'endpoint-independent'), PRIMARY));
  assert.equal(r.mapping, 'none');
  assert.equal(r.direct, 'yes');
  assert.match(r.summary, /not behind a NAT/);
});

test('filtering is tested before the mapping opens a hole towards the other address', async () => {
  const nat = modelNat('endpoint-independent', 'address-dependent');
  await discoverNatBehaviour(nat, PRIMARY);
  assert.deepEqual(nat.sent, [
    '192.0.2.1:3478',
    '192.0.2.1:3478 ip=true port=true',
    '192.0.2.1:3478 ip=false port=true',
    '192.0.2.2:3478',
  ]);
});

test('UDP blocked: one request, and the words say to use TCP or TLS', async () => {
  const nat = modelNat('blocked', 'endpoint-independent');
  const r = natReport(await discoverNatBehaviour(nat, PRIMARY));
  assert.equal(nat.sent.length, 1);
  assert.equal(r.udp, false);
  assert.equal(r.direct, 'relay');
  assert.match(r.summary, /No answer over UDP from 192\.0\.2\.1:3478/);
  assert.match(r.summary, /443/);
});

test('a server without RFC 5780: the mapped address, no behaviour, and how to turn it on', async () => {
  const r = natReport(
    await discoverNatBehaviour(modelNat('endpoint-independent', 'endpoint-independent', false), PRIMARY),
  );
  assert.equal(r.rfc5780, false);
  assert.equal(r.mapping, undefined);
  assert.equal(r.direct, 'unknown');
  assert.deepEqual(r.mapped, { address: '203.0.113.9', port: 50000 });
  assert.match(r.summary, /--rfc5780/);
});

test('words: a symmetric NAT means the relay, a port-keeping NAT means direct calls', async () => {
  const sym = natReport(
    await discoverNatBehaviour(modelNat('address-and-port-dependent', 'address-and-port-dependent'), PRIMARY),
  );
  assert.equal(sym.direct, 'relay');
  assert.match(sym.summary, /symmetric NAT/);
  const eim = natReport(
    await discoverNatBehaviour(modelNat('endpoint-independent', 'address-and-port-dependent'), PRIMARY),
  );
  assert.equal(eim.direct, 'likely');
  assert.match(eim.summary, /keeps your address and port for every destination/);
  assert.match(eim.summary, /direct calls will work/i);
});
