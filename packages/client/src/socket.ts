/**
 * The transport under SignalingClient, reduced to what it needs so that tests can
 * substitute an in-memory socket. `webSocketFactory` uses the platform WebSocket
 * (browsers, and Node ≥ 22 for tools).
 */
export interface SocketHandlers {
  onOpen(): void;
  /** A text frame. Binary frames are not part of the signaling protocol and are ignored. */
  onMessage(text: string): void;
  /** The socket closed (or failed to open: code 1006). Called at most once. */
  onClose(code: number, reason: string): void;
}

export interface SocketHandle {
  /** Sends a text frame; ignored unless the socket is open. */
  send(text: string): void;
  /** Closes the socket; no handler is called after this. */
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketHandle;

/** Opens a real WebSocket (RFC 6455). */
export const webSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  let closed = false;
  ws.onopen = () => {
    if (!closed) handlers.onOpen();
  };
  ws.onmessage = (ev: MessageEvent) => {
    if (!closed && typeof ev.data === 'string') handlers.onMessage(ev.data);
  };
  ws.onclose = (ev: CloseEvent) => {
    if (closed) return;
    closed = true;
    handlers.onClose(ev.code, ev.reason);
  };
  return {
    send(text) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close(code, reason) {
      closed = true;
      try {
        ws.close(code, reason);
      } catch {
        ws.close();
      }
    },
  };
};
