/**
 * Test helpers: connectivity checks as a browser sends them (RFC 8445 §7.2.2; attribute
 * order of Chrome: USERNAME, GOOG-NETWORK-INFO, ICE-CONTROLLING, USE-CANDIDATE,
 * PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT). Not exported from the package.
 */
import {
  AttrType,
  attr,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  shortTermKey,
} from '@itda/stun';

export interface CheckOptions {
  /** `localUfrag:remoteUfrag` from the agent's point of view. */
  username?: string;
  /** The agent's password (the browser signs with it). */
  pwd: string;
  useCandidate?: boolean;
  /** 'controlling' (default, as a full agent facing a lite one), 'controlled', or 'none'. */
  role?: 'controlling' | 'controlled' | 'none';
  integrity?: boolean;
  fingerprint?: boolean;
  sha256?: boolean;
  extra?: StunAttribute[];
  method?: number;
  class?: StunClass;
}

export function encodeCheck(o: CheckOptions): Uint8Array {
  const attributes: StunAttribute[] = [];
  if (o.username !== undefined) attributes.push(attr(AttrType.Username, o.username));
  // GOOG-NETWORK-INFO (comprehension-optional): network id and cost, as Chrome sends it.
  attributes.push({ type: 0xc057, raw: new Uint8Array([0, 1, 0, 10]) });
  const role = o.role ?? 'controlling';
  if (role === 'controlling') attributes.push(attr(AttrType.IceControlling, 0x1234_5678_9abc_def0n));
  if (role === 'controlled') attributes.push(attr(AttrType.IceControlled, 0x1234_5678_9abc_def0n));
  if (o.useCandidate === true) attributes.push(attr(AttrType.UseCandidate, true));
  attributes.push(attr(AttrType.Priority, 1_845_501_695));
  for (const a of o.extra ?? []) attributes.push(a);
  const key = shortTermKey(o.pwd);
  return encodeMessage(
    {
      class: o.class ?? StunClass.Request,
      method: o.method ?? StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes,
    },
    {
      ...(o.integrity === false ? {} : o.sha256 === true ? { integritySha256Key: key } : { integrityKey: key }),
      fingerprint: o.fingerprint !== false,
    },
  );
}

export function check(o: CheckOptions): DecodedStunMessage {
  return decodeMessage(encodeCheck(o));
}
