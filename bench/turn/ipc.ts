/** Commands the benchmark driver sends to a load generator, and the reports back. */

export interface ServerAddress {
  host: string;
  port: number;
}

export interface Credentials {
  username: string;
  password: string;
}

/** STUN Binding requests over UDP, closed loop: `sockets` × `window` requests in flight. */
export interface BindingCommand {
  cmd: 'binding';
  server: ServerAddress;
  sockets: number;
  window: number;
  durationMs: number;
}

/** Allocate (with its 401 round trip) then Refresh 0, over and over, `concurrency` at once. */
export interface AllocateCommand {
  cmd: 'allocate';
  server: ServerAddress;
  credentials: Credentials;
  concurrency: number;
  durationMs: number;
  /** Stop after this many (each holds a socket until the end of the phase). */
  maxAllocations: number;
}

/**
 * Sets up `clients` allocations to relay to the echo peer through channels (ChannelData)
 * or Send indications (Data indications back); `server` undefined: plain sockets
 * straight to the peer (the direct RTT). Answered with `ready`.
 */
export interface RelaySetupCommand {
  cmd: 'relay-setup';
  server: ServerAddress | undefined;
  credentials: Credentials;
  mode: 'channel' | 'send';
  peer: ServerAddress;
  clients: number;
}

/** Sends at `rate` packets/s in total (open loop, paced every ms) for `durationMs`. */
export interface RelayRunCommand {
  cmd: 'relay-run';
  rate: number;
  size: number;
  durationMs: number;
  /** Wait for stragglers after the last send. */
  drainMs: number;
}

/** Deletes the allocations (Refresh 0) and closes the sockets. Answered with `done`. */
export interface RelayTeardownCommand {
  cmd: 'relay-teardown';
}

export type Command = BindingCommand | AllocateCommand | RelaySetupCommand | RelayRunCommand | RelayTeardownCommand;

export interface BindingReport {
  ev: 'binding';
  sent: number;
  answered: number;
  /** Requests given up after 250 ms without an answer (then sent again on the same slot). */
  timedOut: number;
  elapsedMs: number;
}

export interface AllocateReport {
  ev: 'allocate';
  allocations: number;
  failures: number;
  firstError: string | undefined;
  elapsedMs: number;
}

export interface RelayReport {
  ev: 'relay';
  sent: number;
  received: number;
  /** RTT percentiles, ms. */
  rtt: { p50: number; p90: number; p99: number; max: number };
  /** From the first send to the last send. */
  sendMs: number;
}

export interface FailedReport {
  ev: 'failed';
  error: string;
}

export interface ReadyReport {
  ev: 'ready';
  setupFailures: number;
  firstError: string | undefined;
}

export interface DoneReport {
  ev: 'done';
}

export type Report = BindingReport | AllocateReport | RelayReport | ReadyReport | DoneReport | FailedReport;
