import assert from 'node:assert/strict';
import { get as httpGet, request as httpRequest } from 'node:http';
import { createServer, get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { selfSignedCertificate } from '@itda/common/node';
import { createHttpsPort } from './https-port.ts';

interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

function fetchOnce(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    }).on('error', reject);
  });
}

async function withPort(run: (port: number) => Promise<void>, firstByteTimeoutMs?: number): Promise<void> {
  const cert = selfSignedCertificate();
  const https = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    res.end(`hello ${req.socket.remoteAddress} ${req.url}`);
  });
  const port = createHttpsPort({ https, ...(firstByteTimeoutMs === undefined ? {} : { firstByteTimeoutMs }) });
  await new Promise<void>((resolve) => port.server.listen(0, '127.0.0.1', resolve));
  try {
    await run((port.server.address() as AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => {
      port.server.close(() => resolve());
      port.closeAll();
    });
  }
}

test('one port: HTTPS is served (with the client address), plain HTTP is redirected to https on the same port', async () => {
  await withPort(async (port) => {
    const secure = await fetchOnce(`https://127.0.0.1:${port}/r/standup?x=1`);
    assert.deepEqual(secure, { status: 200, location: undefined, body: 'hello 127.0.0.1 /r/standup?x=1' });
    const plain = await fetchOnce(`http://127.0.0.1:${port}/r/standup?x=1`);
    assert.equal(plain.status, 308);
    assert.equal(plain.location, `https://127.0.0.1:${port}/r/standup?x=1`);
    // Several at once, both kinds.
    const many = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fetchOnce(`${i % 2 === 0 ? 'https' : 'http'}://127.0.0.1:${port}/${i}`).then((r) => r.status),
      ),
    );
    assert.deepEqual(many, [200, 308, 200, 308, 200, 308]);
  });
});

test('a Host header that is not a host name is not echoed into Location', async () => {
  await withPort(async (port) => {
    const reply = await fetchOnce(`http://127.0.0.1:${port}/a`, { host: 'evil.example/<script>' });
    assert.equal(reply.status, 308);
    assert.equal(reply.location, `https://127.0.0.1:${port}/a`);
    const named = await fetchOnce(`http://127.0.0.1:${port}/a`, { host: 'meet.lan:8080' });
    assert.equal(named.location, 'https://meet.lan:8080/a');
  });
});

test('a plain WebSocket upgrade is redirected to wss; a silent connection is closed after the first-byte timeout', async () => {
  await withPort(async (port) => {
    const upgrade = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/ws',
        headers: { connection: 'Upgrade', upgrade: 'websocket' },
      });
      req.on('response', (res) => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(upgrade, { status: 308, location: `wss://127.0.0.1:${port}/ws` });
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('close', () => resolve(true));
      socket.on('error', () => {});
    });
    assert.equal(closed, true);
  }, 200);
});
