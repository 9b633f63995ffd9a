import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTokenVerifier } from '@itda/signal';
import { runCli } from './cli.ts';
import { SETTINGS } from './config/config.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/itda.js', import.meta.url));
/**
 * Bound for one run of the real bin: a generous one, as it only catches a hang — starting
 * Node and loading the TypeScript sources took over 10 s on a loaded 2-core machine.
 */
const BIN_TIMEOUT_MS = 60_000;

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env } };
}

test('`itda --help` (the real bin) documents every flag with its default and environment variable', async () => {
  const { stdout } = await run(process.execPath, [BIN, '--help'], { timeout: BIN_TIMEOUT_MS });
  for (const s of SETTINGS) {
    assert.ok(stdout.includes(`--${s.flag}`), `--${s.flag}`);
    for (const e of s.env) assert.ok(stdout.includes(e), e);
  }
  assert.match(stdout, /--no-open-rooms/);
  assert.match(stdout, /--config/);
  assert.match(stdout, /itda token/);
});

test('`itda token` prints a token that verifies, with grants from the flags', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      BIN,
      'token',
      '--room',
      'demo',
      '--identity',
      'ada',
      '--name',
      'Ada',
      '--ttl',
      '30m',
      '--no-publish',
      '--secret',
      's3',
    ],
    { timeout: BIN_TIMEOUT_MS },
  );
  const claims = createTokenVerifier({ secrets: ['s3'] })(stdout.trim());
  assert.equal(claims.identity, 'ada');
  assert.equal(claims.room, 'demo');
  assert.equal(claims.name, 'Ada');
  assert.deepEqual(claims.grants, { canPublish: false, canSubscribe: true, canRename: false });
  assert.equal(claims.expiresAt - claims.issuedAt, 1800);
});

test('`itda token` takes the secret from ITDA_JWT_SECRET and explains missing arguments', async () => {
  const a = io({ ITDA_JWT_SECRET: 'first,second' });
  assert.deepEqual(await runCli(['token', '--room', 'r', '--identity', 'x'], a.io), { code: 0 });
  assert.equal(createTokenVerifier({ secrets: ['first'] })(a.out.join('').trim()).room, 'r');
  const b = io();
  assert.deepEqual(await runCli(['token', '--room', 'r', '--identity', 'x'], b.io), { code: 2 });
  assert.match(b.err.join(''), /no secret/);
  const c = io();
  assert.deepEqual(await runCli(['token', '--identity', 'x', '--secret', 's'], c.io), { code: 2 });
  assert.match(c.err.join(''), /--room is required/);
  const d = io();
  assert.deepEqual(await runCli(['token', '--help'], d.io), { code: 0 });
  assert.match(d.out.join(''), /--no-subscribe/);
  const e = io();
  assert.deepEqual(await runCli(['token', '--room', 'r', '--identity', 'x', '--name', '    ', '--secret', 's'], e.io), {
    code: 2,
  });
  assert.match(e.err.join(''), /--name: a name needs a visible character|--name: a name must not be empty/);
  const f = io();
  const renamable = ['token', '--room', 'r', '--identity', 'x', '--name', 'Ada', '--rename', '--secret', 's'];
  assert.deepEqual(await runCli(renamable, f.io), { code: 0 });
  assert.equal(createTokenVerifier({ secrets: ['s'] })(f.out.join('').trim()).grants.canRename, true);
});

test('unknown flags and bad settings exit with code 2 and a clear message', async () => {
  const a = io();
  assert.deepEqual(await runCli(['--prot', '1'], a.io), { code: 2 });
  assert.match(a.err.join(''), /Unknown option '--prot'/);
  const b = io({ PORT: 'x' });
  assert.deepEqual(await runCli(['serve'], b.io), { code: 2 });
  assert.match(b.err.join(''), /\$PORT: must be a number/);
  const c = io();
  assert.deepEqual(await runCli(['--version'], c.io), { code: 0 });
  assert.match(c.out.join(''), /^\d+\.\d+\.\d+/);
});

test('`itda serve` runs until closed and logs JSON lines (--log-format json: nothing else)', async () => {
  const a = io();
  const result = await runCli(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--web-dir', '/nonexistent', '--no-turn', '--log-format', 'json'],
    a.io,
  );
  assert.ok('server' in result);
  if (!('server' in result)) return;
  const res = await fetch(`${result.server.url}/healthz`);
  assert.equal(res.status, 200);
  await result.server.close();
  const records = a.out
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.some((r) => r.msg === 'listening'));
  assert.ok(records.some((r) => r.code === 'web_app_missing'));
});

test('docs/server.md documents every flag and environment variable', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../docs/server.md', import.meta.url), 'utf8');
  for (const s of SETTINGS) {
    assert.ok(doc.includes(`--${s.flag}`), `--${s.flag}`);
    assert.ok(doc.includes(`\`${s.key}\``), s.key);
    for (const e of s.env) assert.ok(doc.includes(e), e);
  }
});

test('`itda serve` prints a start banner in plain words first, then the JSON lines held back while starting', async () => {
  const a = io();
  const result = await runCli(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--web-dir', '/nonexistent', '--no-turn', '--no-sfu'],
    a.io,
  );
  assert.ok('server' in result);
  if (!('server' in result)) return;
  await result.server.close();
  const text = a.out.join('');
  const firstJson = text.indexOf('\n{');
  const banner = text.slice(0, firstJson);
  assert.match(banner, /^itda \d+\.\d+\.\d+ is running\./);
  assert.match(banner, new RegExp(`http://localhost:${result.server.port}`));
  assert.match(banner, /Rooms are open/);
  const lines = text
    .slice(firstJson + 1)
    .trim()
    .split('\n');
  assert.ok(lines.length > 0);
  for (const line of lines) JSON.parse(line);
  assert.ok(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'listening'));
});

test('--log-format other than banner or json, or a TLS certificate without its key, is invalid_config (exit 2)', async () => {
  const a = io();
  assert.deepEqual(await runCli(['serve', '--log-format', 'xml'], a.io), { code: 2 });
  assert.match(a.err.join(''), /--log-format/);
  const b = io();
  assert.deepEqual(await runCli(['serve', '--tls-cert', '/nonexistent.pem'], b.io), { code: 2 });
  assert.match(b.err.join(''), /--tls-cert and --tls-key go together/);
  const c = io();
  assert.deepEqual(await runCli(['serve', '--tls', 'on'], c.io), { code: 2 });
  assert.match(c.err.join(''), /must be off or self-signed/);
});

test('`itda token --url` prints an invitation link with the token in the fragment; a bad --url is a usage error', async () => {
  const a = io();
  assert.deepEqual(
    await runCli(
      ['token', '--room', 'standup', '--identity', 'ada', '--secret', 's3cret', '--url', 'https://10.0.0.5:8080/'],
      a.io,
    ),
    { code: 0 },
  );
  const link = a.out.join('').trim();
  const m = /^https:\/\/10\.0\.0\.5:8080\/r\/standup#token=([\w-]+\.[\w-]+\.[\w-]+)$/.exec(link);
  assert.ok(m?.[1], link);
  assert.equal(createTokenVerifier({ secrets: ['s3cret'] })(m[1]).identity, 'ada');
  const b = io();
  assert.deepEqual(
    await runCli(['token', '--room', 'r', '--identity', 'x', '--secret', 's', '--url', 'meet.example'], b.io),
    { code: 2 },
  );
  assert.match(b.err.join(''), /--url must be/);
});
