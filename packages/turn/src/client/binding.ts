/**
 * One STUN Binding request (RFC 8489 §3) over a fresh transport: what a client learns
 * its server-reflexive address with.
 */
import type { ConnectOptions } from './node-transport.ts';
import { type BindingResult, TurnClient, type TurnClientOptions } from './turn-client.ts';

/**
 * Connects, sends one Binding request, closes. Over UDP the request is retransmitted per
 * RFC 8489 §6.2.1 (pass a small `rto`/`rc` in tests to fail fast).
 * @throws TurnClientError turn_client_timeout, turn_client_transport, turn_client_error_response
 */
export async function stunBinding(
  connect: ConnectOptions,
  options: Omit<TurnClientOptions, 'username' | 'password'> & {
    changeRequest?: { changeIp: boolean; changePort: boolean };
  } = {},
): Promise<BindingResult> {
  const client = await TurnClient.connect(connect, { ...options, autoRefresh: false });
  try {
    return await client.binding(options.changeRequest === undefined ? {} : { changeRequest: options.changeRequest });
  } finally {
    await client.close();
  }
}
