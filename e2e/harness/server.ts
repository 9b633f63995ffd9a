/**
 * The itda server, started in-process on 127.0.0.1 with an ephemeral port. Its warnings
 * and errors go to stderr, where the test runner shows them next to a failure.
 */
import { type ItdaServer, type StartServerOptions, startServer } from '@itda/server';

export type RunningServer = ItdaServer;
export type TestServerOptions = StartServerOptions;

/** Starts `@itda/server` on 127.0.0.1, port 0, log level `warn`; `options` override. */
export function startTestServer(options: TestServerOptions = {}): Promise<RunningServer> {
  return startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'warn',
    logSink: (record) => process.stderr.write(`${JSON.stringify(record)}\n`),
    ...options,
  });
}
