/** `itda --help` and `itda token --help`, generated from the settings table. */
import { DEFAULT_SERVER_CONFIG, SETTINGS, type Setting } from './config.ts';
import { formatDuration } from './duration.ts';
import { DEFAULT_TURN_CLI_CONFIG, TURN_CLI_SETTINGS } from './turn-cli-config.ts';

function shownDefault<C>(s: Setting<C>, defaults: C): string {
  if (s.shownDefault !== undefined) return s.shownDefault;
  const v = defaults[s.key];
  if (s.kind === 'duration' && typeof v === 'number') return formatDuration(v);
  if (s.kind === 'bool') return v ? 'on' : 'off';
  return String(v);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => `  ${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')}`.trimEnd())
    .join('\n');
}

function settingRows<C>(settings: readonly Setting<C>[], defaults: C): string[][] {
  return settings.map((s) => [
    s.kind === 'bool' ? `--${s.flag}, --no-${s.flag}` : `--${s.flag} ${s.arg}`,
    shownDefault(s, defaults),
    s.env.join(', '),
    s.help,
  ]);
}

export function serveHelp(version: string): string {
  const rows = settingRows(SETTINGS, DEFAULT_SERVER_CONFIG);
  return `itda ${version} — self-hostable WebRTC calls: web app, signaling, room API, SFU with WHIP/WHEP, STUN/TURN in one process

Usage:
  itda [serve] [options]                      start the server (the default command)
  itda token --room R --identity NAME [...]   mint a room token (itda token --help)
  itda turn [options]                         only the STUN/TURN server (itda turn --help)
  itda nat-check --server HOST[:PORT]         what kind of NAT you are behind (itda nat-check --help)
  itda --help | --version

Options (flag, default, environment, meaning):
${table([['FLAG', 'DEFAULT', 'ENV', ''], ...rows, ['--config <path.json>', 'none', 'ITDA_CONFIG', 'JSON config file (below)'], ['-h, --help', '', '', 'this help'], ['-v, --version', '', '', 'print the version']])}

Config file: a JSON object with any of the keys
  ${SETTINGS.map((s) => s.key).join(', ')}
(durations in ms or as strings like "15s"; jwtSecrets and iceServers are arrays).

Precedence: flags > environment > config file > defaults. Durations: 500ms, 15s, 2m, 1h
(a bare number is milliseconds). Every value is checked at start; a bad one stops it
with a message naming the setting.

Serves: the web app at / and /r/<room>, signaling WebSocket at /ws, GET /healthz,
GET /metrics (Prometheus), and the room API at /api/rooms (see docs/server.md).
STUN/TURN runs in the same process (--no-turn: off) on UDP and TCP --turn-port and TLS
--turn-tls-port of --host; "joined" hands each browser stun:/turn:/turns: URLs with
TURN REST credentials valid for --turn-credential-ttl. The API
is open when no --api-key is set and open rooms are on; with --api-key it needs
"Authorization: Bearer <key>"; with --no-open-rooms and no key it is disabled.
Logs: one JSON object per line on stdout. SIGINT/SIGTERM shut down gracefully.
`;
}

export function tokenHelp(): string {
  return `itda token — mint a room token (JWT, HS256) for one participant

Usage:
  itda token --room R --identity NAME [options]

Options:
  --room <name>        the room the token admits to (required)
  --identity <id>      the participant's identity, the token's "sub" (required)
  --name <text>        display name to show instead of the one the client sends
                       (1–64 visible characters); the participant cannot change it
  --rename             may change the display name even so (grants.canRename);
                       --no-rename: not even without --name
  --ttl <dur>          lifetime, default 1h (a bare number is seconds)
  --admin              may moderate the room: mute, remove, lock, lobby (grants.roomAdmin)
  --no-publish         the participant may not send audio/video
  --no-subscribe       the participant may not receive media
  --secret <secret>    signing secret; default: the first --jwt-secret / ITDA_JWT_SECRET /
                       "jwtSecrets" of --config
  --url <address>      print an invitation link instead: <address>/r/<room>#token=…,
                       e.g. --url https://192.168.1.20:8080 (the token rides in the
                       URL fragment, which browsers never send to the server)
  --jwt-secret, --config   as for "itda serve"

Prints the token (or with --url the link) on stdout.
`;
}

export function natCheckHelp(): string {
  return `itda nat-check — what kind of NAT this machine is behind, and what that means for calls

Usage:
  itda nat-check --server HOST[:PORT] [--json] [--timeout 3s]

Options:
  --server <host[:port]>  a STUN server in RFC 5780 mode (required; port default 3478),
                          e.g. one started with: itda turn --rfc5780 <its-second-ip>
  --json                  print the finding as one JSON object instead of words
  --timeout <dur>         how long each request waits for its answer, default 3s
                          (1ms–60s); a NAT that filters takes about two of these

Runs the NAT behaviour discovery of RFC 5780 §4 over UDP: the mapping (does your NAT
keep your port for every destination?) and the filtering (whom does it let in?).
Exit status: 0 with a finding, 1 when the server did not answer over UDP.
`;
}

export function turnHelp(version: string): string {
  return `itda turn ${version} — the STUN/TURN server alone (RFC 8489, RFC 8656): UDP, TCP, TLS

Usage:
  itda turn [options]

Options (flag, default, environment, meaning):
${table([['FLAG', 'DEFAULT', 'ENV', ''], ...settingRows(TURN_CLI_SETTINGS, DEFAULT_TURN_CLI_CONFIG), ['--config <path.json>', 'none', 'ITDA_TURN_CONFIG', 'JSON config file (below)'], ['-h, --help', '', '', 'this help']])}

Config file: a JSON object with any of the keys
  ${TURN_CLI_SETTINGS.map((s) => s.key).join(', ')}
(listen, tlsListen and metricsListen are arrays of "host:port"; users, secrets,
allowedPeers and deniedPeers arrays of strings).

Precedence: flags > environment > config file > defaults. Each --listen is one UDP and
one TCP listener; --tls-listen without --cert/--key uses a self-signed certificate.
Credentials: --user name:password (long-term, RFC 8489 §9.2) and --secret (TURN REST:
username "expiry:identity", password base64(HMAC-SHA1(secret, username)) — coturn's
use-auth-secret). Peers in loopback, private, link-local, CGNAT, multicast and other
special ranges are refused (403) unless --allowed-peer or --allow-loopback-peers.

Example:
  itda turn --listen 0.0.0.0:3478 --tls-listen 0.0.0.0:5349 --cert cert.pem --key key.pem \\
    --secret "$TURN_SECRET" --external-ip 203.0.113.7 --metrics-listen 127.0.0.1:9641
Logs: one JSON object per line on stdout. SIGINT/SIGTERM shut down.
`;
}
