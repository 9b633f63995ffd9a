/**
 * The `itda` command: `itda [serve]` starts the server, `itda token` mints a room token,
 * `itda turn` runs only the STUN/TURN server, `itda nat-check` tells what NAT this machine is behind.
 * Flags are parsed with `util.parseArgs`; see `itda --help`. This is the CLI entry, the
 * one place that prints.
 */
import { readFileSync } from 'node:fs';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { createLogger, isItdaError } from '@itda/common';
import { displayNameProblem, ROOM_NAME_PATTERN } from '@itda/protocol';
import { signRoomToken } from '@itda/signal';
import { bannerFacts, startBanner } from './banner.ts';
import { SETTINGS } from './config/config.ts';
import { parseDuration } from './config/duration.ts';
import { natCheckHelp, serveHelp, tokenHelp, turnHelp } from './config/help.ts';
import { type FlagValues, loadConfig, loadServerConfig, readConfigFile } from './config/load-config.ts';
import { TURN_CLI_SETTINGS, TURN_CLI_SPEC } from './config/turn-cli-config.ts';
import { NatCheckUsage, runNatCheck } from './nat-check-cli.ts';
import { type ItdaServer, startServer } from './server.ts';
import { type RunningTurn, startTurn } from './turn/turn-cli.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

/** What a run ended with: an exit code, or a server (`serve`) or TURN server (`turn`) that is now running. */
export type CliResult = { code: number } | { server: ItdaServer } | { turn: RunningTurn };

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

function settingOptions(settings: readonly { flag: string; kind: string }[]): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    config: { type: 'string' },
  };
  for (const s of settings) {
    options[s.flag] =
      s.kind === 'bool'
        ? { type: 'boolean' }
        : s.kind === 'list' || s.kind === 'ice' || s.kind === 'hostport'
          ? { type: 'string', multiple: true }
          : { type: 'string' };
  }
  return options;
}

const TOKEN_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  room: { type: 'string' },
  identity: { type: 'string' },
  name: { type: 'string' },
  ttl: { type: 'string', default: '1h' },
  publish: { type: 'boolean', default: true },
  subscribe: { type: 'boolean', default: true },
  rename: { type: 'boolean' },
  admin: { type: 'boolean' },
  secret: { type: 'string' },
  url: { type: 'string' },
  'jwt-secret': { type: 'string', multiple: true },
  config: { type: 'string' },
};

function parse(args: string[], options: ParseArgsOptionsConfig): FlagValues {
  return parseArgs({ args, options, strict: true, allowPositionals: false, allowNegative: true }).values as FlagValues;
}

function tokenSecret(flags: FlagValues, env: Record<string, string | undefined>): string | undefined {
  if (typeof flags.secret === 'string') return flags.secret;
  const fromFlags = flags['jwt-secret'];
  if (Array.isArray(fromFlags) && typeof fromFlags[0] === 'string') return fromFlags[0];
  const fromEnv = env.ITDA_JWT_SECRET?.split(',')[0]?.trim();
  if (fromEnv) return fromEnv;
  const path = typeof flags.config === 'string' ? flags.config : env.ITDA_CONFIG || undefined;
  if (path === undefined) return undefined;
  return readConfigFile(path, (p) => readFileSync(p, 'utf8')).jwtSecrets?.[0];
}

function runToken(args: string[], io: CliIo): CliResult {
  const flags = parse(args, TOKEN_OPTIONS);
  if (flags.help === true) {
    io.stdout(tokenHelp());
    return { code: 0 };
  }
  const { room, identity, name, ttl } = flags;
  if (typeof room !== 'string' || !ROOM_NAME_PATTERN.test(room)) {
    throw usage('--room is required: 1–64 of A–Z a–z 0–9 . _ ~ -');
  }
  if (typeof identity !== 'string' || identity.length === 0) throw usage('--identity is required');
  const nameProblem = typeof name === 'string' ? displayNameProblem(name) : undefined;
  if (nameProblem !== undefined) throw usage(`--name: ${nameProblem}`);
  const ttlMs = typeof ttl === 'string' ? parseDuration(ttl, 's') : undefined;
  if (ttlMs === undefined || ttlMs < 1000) throw usage('--ttl must be a duration of at least 1s, like 30m or 1h');
  const secret = tokenSecret(flags, io.env);
  if (secret === undefined || secret.length === 0) {
    throw usage('no secret: pass --secret, --jwt-secret, ITDA_JWT_SECRET or a --config with "jwtSecrets"');
  }
  const token = signRoomToken(secret, {
    room,
    identity,
    ...(typeof name === 'string' ? { name } : {}),
    ttlSeconds: Math.floor(ttlMs / 1000),
    grants: {
      canPublish: flags.publish !== false,
      canSubscribe: flags.subscribe !== false,
      ...(typeof flags.rename === 'boolean' ? { canRename: flags.rename } : {}),
      ...(flags.admin === true ? { roomAdmin: true } : {}),
    },
  });
  io.stdout(`${typeof flags.url === 'string' ? invitationLink(flags.url, room, token) : token}\n`);
  return { code: 0 };
}

/**
 * `<base>/r/<room>#token=<jwt>`: the token in the fragment, which browsers never send to
 * the server (so it is in no request line, proxy log or Referer); the app takes it and
 * removes it from the address bar.
 */
export function invitationLink(base: string, room: string, token: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw usage(`--url must be the server's address, like https://meet.example.com or https://192.168.1.20:8080`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usage('--url must be an http(s):// address');
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}/r/${encodeURIComponent(room)}#token=${token}`;
}

async function runTurn(args: string[], io: CliIo): Promise<CliResult> {
  const flags = parse(args, settingOptions(TURN_CLI_SETTINGS));
  if (flags.help === true) {
    io.stdout(turnHelp(VERSION));
    return { code: 0 };
  }
  if (flags.version === true) {
    io.stdout(`${VERSION}\n`);
    return { code: 0 };
  }
  const config = loadConfig(TURN_CLI_SPEC, { flags, env: io.env });
  const log = createLogger({ level: config.logLevel, sink: (record) => io.stdout(`${JSON.stringify(record)}\n`) });
  return { turn: await startTurn(config, log.child('turn')) };
}

async function runServe(args: string[], io: CliIo): Promise<CliResult> {
  const flags = parse(args, settingOptions(SETTINGS));
  if (flags.help === true) {
    io.stdout(serveHelp(VERSION));
    return { code: 0 };
  }
  if (flags.version === true) {
    io.stdout(`${VERSION}\n`);
    return { code: 0 };
  }
  const config = loadServerConfig({ flags, env: io.env });
  // The banner comes first: log lines written while starting wait for it.
  let held: string[] | undefined = config.logFormat === 'banner' ? [] : undefined;
  const flush = (): void => {
    for (const line of held ?? []) io.stdout(line);
    held = undefined;
  };
  let server: ItdaServer;
  try {
    server = await startServer({
      ...config,
      logSink: (record) => {
        const line = `${JSON.stringify(record)}\n`;
        if (held === undefined) io.stdout(line);
        else held.push(line);
      },
    });
  } catch (err) {
    flush();
    throw err;
  }
  if (held !== undefined) io.stdout(startBanner(bannerFacts(server, VERSION)));
  flush();
  return { server };
}

class UsageError extends Error {}
const usage = (message: string): UsageError => new UsageError(message);

/** Runs the command line `args` (without `node` and the script). Never throws. */
export async function runCli(args: string[], io: CliIo): Promise<CliResult> {
  const [first, ...rest] = args;
  try {
    if (first === 'token') return runToken(rest, io);
    if (first === 'turn') return await runTurn(rest, io);
    if (first === 'nat-check') return await runNatCheck(rest, io, natCheckHelp);
    if (first === 'help') {
      const sub: Record<string, () => string> = {
        token: tokenHelp,
        turn: () => turnHelp(VERSION),
        'nat-check': natCheckHelp,
      };
      io.stdout((sub[rest[0] ?? ''] ?? (() => serveHelp(VERSION)))());
      return { code: 0 };
    }
    return await runServe(first === 'serve' ? rest : args, io);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof NatCheckUsage ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      const sub = first === 'token' || first === 'turn' || first === 'nat-check' ? ` ${first}` : '';
      io.stderr(`itda: ${(err as Error).message}\nSee: itda${sub} --help\n`);
      return { code: 2 };
    }
    if (isItdaError(err)) {
      // `invalid_config` (ServerErrorCode, also the signaling core's and TURN's): exit 2.
      io.stderr(`itda: ${err.message}\n`);
      return { code: err.code === 'invalid_config' ? 2 : 1 };
    }
    io.stderr(`itda: ${(err as Error).stack ?? String(err)}\n`);
    return { code: 1 };
  }
}

/** The process entry (bin/itda.js): runs, and shuts a server down on SIGINT/SIGTERM. */
export async function main(): Promise<void> {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
  const result = await runCli(process.argv.slice(2), io);
  if ('code' in result) {
    process.exitCode = result.code;
    return;
  }
  const server = 'server' in result ? result.server : result.turn;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    io.stderr(`itda: ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if ('server' in result) {
    const running = result.server;
    process.on('SIGHUP', () => {
      // A certificate renewed on disk: new connections get it, calls go on. A bad pair keeps the old one.
      try {
        running.reloadTls();
      } catch (err) {
        io.stderr(`itda: SIGHUP: ${(err as Error).message}; the old certificate stays\n`);
      }
    });
  }
}
