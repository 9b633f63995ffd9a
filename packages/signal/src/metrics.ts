/**
 * Counters of the signaling core. Gauges (rooms, participants, connections) are read
 * from the core's state when scraped; these are the monotonic totals. Labels are
 * message types and error codes only — never rooms or users.
 */
export class SignalMetrics {
  /** Valid client messages received, by `type`. */
  readonly messages = new Map<string, number>();
  /** Errors answered or connections closed for bad input, by code. */
  readonly errors = new Map<string, number>();
  /** Connections accepted since start. */
  connectionsOpened = 0;
  /** Successful joins and resumes since start. */
  joins = 0;
  resumes = 0;

  countMessage(type: string): void {
    this.messages.set(type, (this.messages.get(type) ?? 0) + 1);
  }

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}
