/**
 * The itda server, started in-process on 127.0.0.1 with an ephemeral port.
 */
import { existsSync } from 'node:fs';

/** What the e2e tests use of `@itda/server`'s running server. */
export interface RunningServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: string;
  readonly signal: {
    /** Cuts that participant's WebSocket abruptly, like a network cut. */
    dropConnection(participantId: string): void;
  };
  close(): Promise<void>;
}

/** Server options the tests pass; anything else keeps the server's defaults. */
export interface TestServerOptions {
  roomCapacity?: number;
  resumeGraceMs?: number;
  [option: string]: unknown;
}

type StartServer = (options: Record<string, unknown>) => Promise<RunningServer>;

/**
 * Starts `@itda/server` on 127.0.0.1, port 0, log level `warn`.
 * The module is loaded at run time so that the harness type-checks on its own.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<RunningServer> {
  const specifier = '@itda/server';
  const mod = (await import(specifier)) as { startServer?: StartServer };
  if (typeof mod.startServer !== 'function') throw new Error('@itda/server does not export startServer()');
  return mod.startServer({ port: 0, host: '127.0.0.1', logLevel: 'warn', ...options });
}

/**
 * Why the e2e tests cannot run yet, or `false`: while `@itda/server` has no source
 * (it is being written), the tests are skipped with this reason instead of failing.
 * Once the package exists, every failure is a failure.
 */
export function serverMissing(): string | false {
  const entry = new URL('../../packages/server/src/index.ts', import.meta.url);
  return existsSync(entry) ? false : '@itda/server is not written yet (packages/server/src/index.ts is missing)';
}
