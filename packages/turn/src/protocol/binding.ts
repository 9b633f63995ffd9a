/**
 * Binding requests (RFC 8489 §6.3.1 / §18.2.1: answer with XOR-MAPPED-ADDRESS, the
 * source transport address of the request) and, when the endpoint belongs to an
 * RFC 5780 group, NAT behaviour discovery (RFC 5780 §6.1: MAPPED-ADDRESS, RESPONSE-ORIGIN,
 * OTHER-ADDRESS, CHANGE-REQUEST, RESPONSE-PORT). No authentication: a TURN server
 * answers Binding to anyone, like coturn.
 */
import { AttrType, type DecodedStunMessage, type StunAttribute, StunMethod } from '@itda/stun';
import { encodeBindingSuccess } from './binding-response.ts';
import type { ClientRef, Endpoint, RelayHandle } from './io.ts';
import { requestInfo, sendError, sendSuccess } from './respond.ts';
import type { CoreState } from './state.ts';

function address(e: { family: 'IPv4' | 'IPv6'; address: string; port: number }): {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
} {
  return { family: e.family, address: e.address, port: e.port };
}

export function handleBinding<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 with UNKNOWN-ATTRIBUTES.
  if (msg.unknownRequired.length > 0) {
    sendError(st, client, requestInfo(msg), 420, { unknown: msg.unknownRequired });
    return;
  }
  const role = client.transport === 'udp' ? st.rfc5780.roles.get(client.endpoint.id) : undefined;
  const group = st.rfc5780.group;
  const change = msg.get(AttrType.ChangeRequest);
  const responsePort = client.transport === 'udp' ? msg.get(AttrType.ResponsePort) : undefined;
  if (role === undefined || group === undefined) {
    // RFC 5780 §6.1: "If the Request contains the CHANGE-REQUEST attribute and the server
    // does not have an alternate address and port as described above, the server MUST
    // generate an error response of type 420." RESPONSE-PORT (comprehension-required) is
    // not understood without RFC 5780 either.
    const unknown: number[] = [];
    if (change !== undefined) unknown.push(AttrType.ChangeRequest);
    if (responsePort !== undefined) unknown.push(AttrType.ResponsePort);
    if (unknown.length > 0) {
      sendError(st, client, requestInfo(msg), 420, { unknown });
      return;
    }
    // The common answer, written by hand into one buffer (binding-response.ts).
    const bytes = encodeBindingSuccess(
      msg.transactionId,
      client.address,
      client.port,
      st.o.software,
      msg.fingerprintAt >= 0,
    );
    if (bytes === undefined) {
      sendSuccess(st, client, requestInfo(msg), [
        { type: AttrType.XorMappedAddress, value: address(client) } as StunAttribute,
      ]);
      return;
    }
    st.io.sendToClient(client, bytes);
    st.metrics.request(StunMethod.Binding, 'success');
    return;
  }
  // RFC 5780 §6.1: "If the Request contained a PADDING attribute [...] If the Request also
  // contains the RESPONSE-PORT attribute the server MUST return an error response of type 400."
  if (responsePort !== undefined && msg.has(AttrType.Padding)) {
    sendError(st, client, requestInfo(msg), 400);
    return;
  }
  const [ip, port] = role;
  const fromIp = change?.changeIp === true ? 1 - ip : ip;
  const fromPort = change?.changePort === true ? 1 - port : port;
  const from = group[fromIp]?.[fromPort] as Endpoint;
  const other = group[1 - ip]?.[1 - port] as Endpoint;
  // RFC 5780 §6.1: "The server MUST include both MAPPED-ADDRESS and XOR-MAPPED-ADDRESS in
  // its Response", plus RESPONSE-ORIGIN (§7.3) and OTHER-ADDRESS (§7.4).
  const attributes = [
    { type: AttrType.XorMappedAddress, value: address(client) },
    { type: AttrType.MappedAddress, value: address(client) },
    { type: AttrType.ResponseOrigin, value: address(from) },
    { type: AttrType.OtherAddress, value: address(other) },
  ] as StunAttribute[];
  sendSuccess(st, client, requestInfo(msg), attributes, {
    ...(from === client.endpoint ? {} : { from }),
    ...(responsePort === undefined ? {} : { port: responsePort }),
  });
}
