/**
 * A minimal client of the Janus HTTP API (https://janus.conf.meetecho.com/docs/rest.html):
 * one session (`create`, keepalives every 20 s, `destroy`), plugin handles (`attach`,
 * `detach`), synchronous plugin requests (the answer is in the HTTP response), asynchronous
 * ones (`ack` now; the event, with its JSEP, through the session's long poll — matched by
 * transaction, each with a 20 s deadline) and `trickle` completion. Plain fetch to 127.0.0.1.
 */

interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id?: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> & { videoroom?: string; error?: string } };
  jsep?: { type: string; sdp: string };
}

interface Pending {
  resolve(msg: JanusMessage): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A minimal Janus HTTP API client: one session, handles, async plugin events through one long poll. */
export class JanusApi {
  readonly #base: string;
  #session = 0;
  #tx = 0;
  readonly #pending = new Map<string, Pending>();
  readonly #abort = new AbortController();
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | undefined;

  constructor(base: string) {
    this.#base = base;
  }

  async #post(path: string, body: Record<string, unknown>): Promise<JanusMessage> {
    const res = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(20_000)]),
    });
    const msg = (await res.json()) as JanusMessage;
    if (msg.janus === 'error') throw new Error(`janus ${String(body.janus)}: ${msg.error?.code} ${msg.error?.reason}`);
    return msg;
  }

  async open(): Promise<void> {
    const created = await this.#post('', { janus: 'create', transaction: this.#nextTx() });
    this.#session = created.data?.id ?? 0;
    this.#polling = this.#poll();
    this.#keepalive = setInterval(() => {
      void this.#post(`/${this.#session}`, { janus: 'keepalive', transaction: this.#nextTx() }).catch(() => {});
    }, 20_000);
  }

  #nextTx(): string {
    this.#tx += 1;
    return `t${this.#tx}`;
  }

  /** The long poll: bounded by the session's life (aborted on close), each GET by Janus's own 30 s. */
  async #poll(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      let events: JanusMessage[];
      try {
        const res = await fetch(`${this.#base}/${this.#session}?maxev=50`, { signal: this.#abort.signal });
        const body = (await res.json()) as JanusMessage | JanusMessage[];
        events = Array.isArray(body) ? body : [body];
      } catch {
        if (this.#abort.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const ev of events) {
        if (ev.transaction === undefined || ev.janus === 'ack') continue;
        const p = this.#pending.get(ev.transaction);
        if (p === undefined) continue;
        this.#pending.delete(ev.transaction);
        clearTimeout(p.timer);
        const err = ev.plugindata?.data.error;
        if (err !== undefined) p.reject(new Error(`videoroom: ${String(ev.plugindata?.data.error_code)} ${err}`));
        else p.resolve(ev);
      }
    }
  }

  async attach(): Promise<number> {
    const r = await this.#post(`/${this.#session}`, {
      janus: 'attach',
      plugin: 'janus.plugin.videoroom',
      transaction: this.#nextTx(),
    });
    return r.data?.id ?? 0;
  }

  async detach(handle: number): Promise<void> {
    await this.#post(`/${this.#session}/${handle}`, { janus: 'detach', transaction: this.#nextTx() });
  }

  /** A synchronous plugin request (create room, …): the answer is in the HTTP response. */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await this.#post(`/${this.#session}/${handle}`, { janus: 'message', body, transaction: this.#nextTx() });
    const data = r.plugindata?.data ?? {};
    if (data.error !== undefined) throw new Error(`videoroom ${String(body.request)}: ${String(data.error)}`);
    return data;
  }

  /** An asynchronous plugin request: `ack` now, the event (with its JSEP) later through the long poll. */
  async message(
    handle: number,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string },
  ): Promise<JanusMessage> {
    const transaction = this.#nextTx();
    const event = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new Error(`videoroom ${String(body.request)}: no event within 20 s`));
      }, 20_000);
      this.#pending.set(transaction, { resolve, reject, timer });
    });
    try {
      await this.#post(`/${this.#session}/${handle}`, {
        janus: 'message',
        body,
        transaction,
        ...(jsep === undefined ? {} : { jsep }),
      });
    } catch (err) {
      const p = this.#pending.get(transaction);
      if (p !== undefined) clearTimeout(p.timer);
      this.#pending.delete(transaction);
      throw err;
    }
    return event;
  }

  /** Tells Janus the peer has no more candidates (they are all in its SDP). */
  async trickleDone(handle: number): Promise<void> {
    await this.#post(`/${this.#session}/${handle}`, {
      janus: 'trickle',
      candidate: { completed: true },
      transaction: this.#nextTx(),
    });
  }

  async close(): Promise<void> {
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    if (this.#session !== 0) {
      await this.#post(`/${this.#session}`, { janus: 'destroy', transaction: this.#nextTx() }).catch(() => {});
    }
    this.#abort.abort();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('janus session closed'));
    }
    this.#pending.clear();
    await this.#polling?.catch(() => {});
  }
}
