/**
 * `SfuLink`s: the channel under the SFU's API (messages.ts).
 *
 * - `localSfuLink()` — both ends in this process, as `itda serve` embeds the SFU. Each
 *   message is copied with `structuredClone` and delivered in a later microtask, in
 *   order: exactly what a caller would see across a thread or a network, so nothing
 *   above the API can come to depend on sharing objects or on answers arriving
 *   synchronously.
 * - `messagePortLink(port)` — one end of a `worker_threads` MessageChannel (the SFU in
 *   a worker, or a test that proves the API crosses a real port).
 *
 * A listener must not throw (it would be an uncaught exception): the SFU's client and
 * host catch their own.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SfuEvent, SfuLink, SfuRequest } from './messages.ts';

class LocalEnd<Out, In> implements SfuLink<Out, In> {
  peer: LocalEnd<In, Out> | undefined;
  #listener: ((message: In) => void) | undefined;
  #closed = false;

  post(message: Out): void {
    const peer = this.peer;
    if (this.#closed || peer === undefined) return;
    const copy = structuredClone(message);
    queueMicrotask(() => peer.deliver(copy));
  }

  onMessage(listener: (message: In) => void): void {
    this.#listener = listener;
  }

  deliver(message: In): void {
    if (!this.#closed) this.#listener?.(message);
  }

  close(): void {
    this.#closed = true;
    this.#listener = undefined;
  }
}

/** Both ends of an in-process link: `client` for the SFU's users (SfuClient), `host` for the SFU (SfuHost). */
export function localSfuLink(): { client: SfuLink<SfuRequest, SfuEvent>; host: SfuLink<SfuEvent, SfuRequest> } {
  const client = new LocalEnd<SfuRequest, SfuEvent>();
  const host = new LocalEnd<SfuEvent, SfuRequest>();
  client.peer = host;
  host.peer = client;
  return { client, host };
}

/** An `SfuLink` over a MessagePort (structured clone, in order). `close()` closes the port. */
export function messagePortLink<Out, In>(port: MessagePort): SfuLink<Out, In> {
  return {
    post: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.on('message', (message: In) => listener(message));
    },
    close: () => port.close(),
  };
}
