/** Messages between the benchmark driver (`run.ts`) and its load generators (`loadgen.ts`). */

export interface ConnectCommand {
  cmd: 'connect';
  /** `ws://127.0.0.1:PORT/ws` */
  url: string;
  /** Room of each participant this generator opens, in order. */
  rooms: string[];
  /** Handshakes in flight at once. */
  concurrency: number;
  /** Source addresses to bind client sockets to (127.0.0.x), round robin; empty: let the kernel choose. */
  localAddresses: string[];
  /** Each participant sends `ping` this often, ms (itda's client default: 5000). */
  pingIntervalMs: number;
  /** Give up on the phase after this long, ms. */
  timeoutMs: number;
}

export interface RelayCommand {
  cmd: 'relay';
  /** Distinguishes the phases' message keys. 1–99. */
  phase: number;
  /** Open loop at `rate` messages/s, or closed loop with `window` messages in flight. */
  rate?: number;
  window?: number;
  /** Messages to send, at most. */
  messages: number;
  /** Stop sending after this long, ms; then wait up to `drainMs` for the rest. */
  durationMs: number;
  drainMs: number;
  /** Every `offerEvery`-th message is an offer (about 2.5 KB); the others are candidates. */
  offerEvery: number;
}

export interface CloseCommand {
  cmd: 'close';
}

export type Command = ConnectCommand | RelayCommand | CloseCommand;

export interface ConnectedReport {
  ev: 'connected';
  joined: number;
  failed: number;
  /** First handshake start to last `joined`, ms. */
  ms: number;
  /** Per participant, socket opened → `joined` received, ms. */
  joinLatencies: Float64Array;
  /** Per participant, socket created → WebSocket open (TCP + HTTP upgrade), ms. */
  openLatencies: Float64Array;
  errors: Record<string, number>;
}

export interface RelayedReport {
  ev: 'relayed';
  phase: number;
  sent: number;
  received: number;
  /** First send to last receipt, ms. */
  ms: number;
  /** Per received message, send → receipt, ms. */
  latencies: Float64Array;
  errors: Record<string, number>;
}

export interface ProgressReport {
  ev: 'progress';
  what: string;
  done: number;
  total: number;
}

export interface ClosedReport {
  ev: 'closed';
}

export interface FailedReport {
  ev: 'failed';
  message: string;
}

export type Report = ConnectedReport | RelayedReport | ProgressReport | ClosedReport | FailedReport;
