/**
 * itda's server alone in a process, for the SFU benchmark: `node bench/sfu/itda-server.ts
 * '<json StartServerOptions>'`. Prints one JSON line `{"ready":true,"url":"http://…"}` on
 * stdout and runs until SIGTERM/SIGINT, then closes the server and exits (so `--cpu-prof`
 * writes its profile). The SFU's CPU and RSS are this process's.
 */
import { type StartServerOptions, startServer } from '@itda/server';

const options = JSON.parse(process.argv[2] ?? '{}') as StartServerOptions;
const server = await startServer(options);
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
