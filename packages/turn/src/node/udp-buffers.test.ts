import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createLogger, isItdaError, type LogFields } from '@itda/common';
import { createTransactionId, encodeMessage, StunClass, StunMethod } from '@itda/stun';
import { TurnServer } from './turn-server.ts';

/** net.core.rmem_max / wmem_max: the most SO_RCVBUF / SO_SNDBUF grants (Linux), or 0 when unknown. */
function coreMax(name: 'rmem_max' | 'wmem_max'): number {
  try {
    return Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());
  } catch {
    return 0;
  }
}
const grantable = Math.min(coreMax('rmem_max'), coreMax('wmem_max'));

test('udpBufferBytes and relayBufferBytes: 0 or 64 KiB–256 MiB, else turn_bad_options', () => {
  for (const bad of [1, 65_535, 268_435_457, -1, 1.5, Number.NaN]) {
    for (const option of ['udpBufferBytes', 'relayBufferBytes'] as const) {
      assert.throws(
        () => new TurnServer({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], [option]: bad }),
        (err) => isItdaError(err, 'turn_bad_options'),
        `${option} ${bad}`,
      );
    }
  }
  for (const good of [0, 65_536, 2 << 20, 268_435_456]) {
    new TurnServer({
      listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
      udpBufferBytes: good,
      relayBufferBytes: good,
    });
  }
});

test('a listener buffer smaller than asked (capped by net.core.rmem_max) is logged as one warning', {
  skip: grantable === 0 || grantable >= 268_435_456 ? 'cannot tell what the kernel grants here' : false,
}, async () => {
  const records: LogFields[] = [];
  const logger = createLogger({ level: 'warn', sink: (r) => records.push(r) });
  const turn = new TurnServer({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '127.0.0.1', port: 0 },
    ],
    udpBufferBytes: 268_435_456,
    logger,
  });
  try {
    await turn.start();
    const warnings = records.filter((r) => String(r.msg).startsWith('udp socket buffers smaller than asked'));
    assert.equal(warnings.length, 1, `one warning per server, not per socket: ${JSON.stringify(records)}`);
    assert.equal(warnings[0]?.asked, 268_435_456);
  } finally {
    await turn.close();
  }
});

test('a burst of 2,000 Binding requests that arrives while the event loop is busy is answered in full', {
  skip: grantable < 2 << 20 ? `net.core.rmem_max/wmem_max ${grantable} < 2 MiB: the default cannot be granted` : false,
}, async () => {
  const records: LogFields[] = [];
  const turn = new TurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    logger: createLogger({ level: 'warn', sink: (r) => records.push(r) }),
  });
  await turn.start();
  const client = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  try {
    assert.deepEqual(records, [], 'the default 2 MiB is granted');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const port = turn.addresses[0]?.port ?? 0;
    const total = 2000;
    let answered = 0;
    const all = new Promise<void>((resolve) => {
      client.on('message', () => {
        if (++answered === total) resolve();
      });
    });
    // One synchronous loop: the server (same process) reads nothing until it ends, so every
    // request waits in the listener's kernel buffer — about 1.5 MB of it for 2,000 requests,
    // far more than the usual 208 KiB default.
    const request = Buffer.from(
      encodeMessage({
        class: StunClass.Request,
        method: StunMethod.Binding,
        transactionId: createTransactionId(),
        attributes: [],
      }),
    );
    for (let i = 0; i < total; i++) {
      request.writeUInt32BE(i, 16);
      client.send(request, port, '127.0.0.1');
    }
    const timeout = new Promise<'timeout'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), 5000);
      void all.then(() => clearTimeout(t));
    });
    assert.notEqual(await Promise.race([all, timeout]), 'timeout', `answered ${answered} of ${total}`);
    assert.equal(turn.metrics.requests.find((r) => r.method === 'binding')?.count, total);
  } finally {
    client.close();
    await turn.close();
  }
});
