/**
 * The first bytes of a Data indication (RFC 8656 §11.3): STUN header, XOR-PEER-ADDRESS
 * and the DATA attribute's header, written by hand so the peer → client path does not
 * go through the general encoder. The application data follows as a separate buffer
 * (and zero padding to 4 bytes, RFC 8489 §14).
 */
import { randomFillSync } from 'node:crypto';
import { AttrType, encodeMessageType, MAGIC_COOKIE, parseIp, StunClass, StunMethod } from '@itda/stun';
import type { Allocation } from './allocation.ts';
import type { RelayHandle } from './io.ts';

const TYPE = encodeMessageType(StunClass.Indication, StunMethod.Data);

// Transaction ids of indications come from a pool of random bytes refilled 4 KiB at a time.
const pool = Buffer.alloc(12 * 341);
let poolAt = pool.length;

function ipBytes<R extends RelayHandle, S>(a: Allocation<R, S>, ip: string): Uint8Array {
  let bytes = a.peerIpBytes.get(ip);
  if (bytes === undefined) {
    bytes = parseIp(ip) ?? new Uint8Array(4);
    a.peerIpBytes.set(ip, bytes);
  }
  return bytes;
}

/** Header + XOR-PEER-ADDRESS + DATA header of a Data indication carrying `length` bytes. */
export function encodeDataIndicationHead<R extends RelayHandle, S>(
  a: Allocation<R, S>,
  ip: string,
  port: number,
  length: number,
): Buffer {
  const addr = ipBytes(a, ip);
  const v6 = addr.length === 16;
  const xorLength = v6 ? 20 : 8;
  const headLength = 20 + 4 + xorLength + 4;
  const head = Buffer.allocUnsafe(headLength);
  head.writeUInt16BE(TYPE, 0);
  head.writeUInt16BE(headLength - 20 + ((length + 3) & ~3), 2);
  head.writeUInt32BE(MAGIC_COOKIE, 4);
  if (poolAt + 12 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool.copy(head, 8, poolAt, poolAt + 12);
  poolAt += 12;
  // XOR-PEER-ADDRESS (RFC 8656 §18.3, encoded as XOR-MAPPED-ADDRESS, RFC 8489 §14.2)
  head.writeUInt16BE(AttrType.XorPeerAddress, 20);
  head.writeUInt16BE(xorLength, 22);
  head[24] = 0;
  head[25] = v6 ? 0x02 : 0x01;
  head.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 26);
  // X-Address: the address XOR the magic cookie (IPv4), or XOR cookie ‖ transaction id (IPv6).
  for (let i = 0; i < addr.length; i++) head[28 + i] = (addr[i] as number) ^ (head[4 + i] as number);
  const d = 24 + xorLength;
  head.writeUInt16BE(AttrType.Data, d);
  head.writeUInt16BE(length, d + 2);
  return head;
}
