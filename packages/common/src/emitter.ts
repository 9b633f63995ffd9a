/**
 * A small typed event emitter that runs in Node and in browsers.
 *
 * `Events` maps each event name to its argument tuple, as mediasoup types its emitters:
 * `type RoomEvents = { participantJoined: [Participant]; closed: [] }`.
 * A listener that throws does not stop the others; the error goes to `onListenerError`.
 */
// biome-ignore lint/suspicious/noExplicitAny: event maps are user-declared tuples of any shape.
export type EventMap = Record<string, any[]>;

export type Listener<Args extends unknown[]> = (...args: Args) => void;

export class TypedEmitter<Events extends EventMap> {
  // Listeners are stored untyped; `on`/`emit` keep the per-event types at the API.
  readonly #listeners = new Map<keyof Events, Set<(...args: unknown[]) => void>>();
  /** Called when a listener throws. Default: rethrown asynchronously so it is not lost. */
  onListenerError: (err: unknown) => void = (err) => {
    queueMicrotask(() => {
      throw err;
    });
  };

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    this.#listeners.get(event)?.delete(listener as (...args: unknown[]) => void);
    return this;
  }

  /** Resolves with the arguments of the next `event`. */
  next<K extends keyof Events>(event: K): Promise<Events[K]> {
    return new Promise((resolve) => {
      this.once(event, (...args) => resolve(args));
    });
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    return true;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
