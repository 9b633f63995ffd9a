/**
 * itda on the lab's "public" server (harness/internet.ts): `itda serve` on the first
 * address, port 443 (HTTPS, WSS, the SFU), with a certificate made for the run that the
 * lab's Chromiums pin (`--ignore-certificate-errors-spki-list`), and, when asked, `itda
 * turn` on the second address (UDP/TCP 3478, TLS 443, RFC 5780 with the first address as
 * its other one). Both run in the `srv` namespace until the lab closes; `close()` removes
 * the certificate's directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate, spkiSha256 } from '@itda/common/node';
import { type Internet, SERVER_ADDRESSES } from './internet.ts';
import { jsonLine } from './netns.ts';

const ITDA = fileURLToPath(new URL('../../packages/server/bin/itda.js', import.meta.url));
export const [LAB_WEB, LAB_TURN] = SERVER_ADDRESSES;
export const LAB_ORIGIN = `https://${LAB_WEB}`;
const SECRET = 'lab-turn-secret';

export interface LabServer {
  origin: string;
  /** The Chromium flag that makes the lab's certificate trusted. */
  chromiumArgs: string[];
  /** Creates a room through the API, from inside `srv`. */
  createRoom(name: string, mode: 'p2p' | 'sfu'): Promise<void>;
  /** Reads the server's Prometheus metrics, from inside `srv`. */
  metrics(): Promise<string>;
  close(): void;
}

/** Starts itda (and with `turn`, itda turn) in the lab's `srv` namespace. */
export async function startLabServer(
  net: Internet,
  options: { turn: boolean; serveFlags?: readonly string[] },
): Promise<LabServer> {
  const dir = mkdtempSync(joinPath(tmpdir(), 'itda-lab-'));
  const made = selfSignedCertificate({ hosts: [LAB_WEB, LAB_TURN, 'localhost'] });
  const cert = joinPath(dir, 'cert.pem');
  const key = joinPath(dir, 'key.pem');
  writeFileSync(cert, made.cert);
  writeFileSync(key, made.key);
  try {
    if (options.turn) {
      const turn = net.lab.spawn('srv', [
        process.execPath,
        ITDA,
        'turn',
        '--listen',
        `${LAB_TURN}:3478`,
        '--tls-listen',
        `${LAB_TURN}:443`,
        '--cert',
        cert,
        '--key',
        key,
        '--secret',
        SECRET,
        '--relay-ip',
        LAB_TURN,
        '--allowed-peer',
        '10.0.0.0/8',
        // RFC 5780 on the server's other address: the pre-join check compares the two mappings.
        '--rfc5780',
        LAB_WEB,
      ]);
      await jsonLine(turn, (l) => l.msg === 'TURN ready');
    }
    const turnFlags = options.turn
      ? ['--turn-secret', SECRET, '--turn-host', LAB_TURN, '--turn-port', '3478', '--turn-tls-port', '443']
      : [];
    const serve = net.lab.spawn('srv', [
      process.execPath,
      ITDA,
      '--host',
      LAB_WEB,
      '--port',
      '443',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--no-turn',
      ...turnFlags,
      ...(options.serveFlags ?? []),
      '--log-format',
      'json',
    ]);
    await jsonLine(serve, (l) => l.msg === 'listening');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const fetchInSrv = (script: string): Promise<string> =>
    net.lab.exec('srv', 'env', 'NODE_TLS_REJECT_UNAUTHORIZED=0', process.execPath, '-e', script);
  return {
    origin: LAB_ORIGIN,
    chromiumArgs: [`--ignore-certificate-errors-spki-list=${spkiSha256(made.cert)}`],
    async createRoom(name, mode) {
      const status = await fetchInSrv(
        `fetch('${LAB_ORIGIN}/api/rooms', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '${name}', mode: '${mode}' }) }).then((r) => process.stdout.write(String(r.status)))`,
      );
      if (status !== '201') throw new Error(`creating room ${name}: HTTP ${status}`);
    },
    metrics: () =>
      fetchInSrv(`fetch('${LAB_ORIGIN}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
