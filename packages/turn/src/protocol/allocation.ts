/**
 * One TURN allocation (RFC 8656 §6): the relayed transport address, its lifetime, its
 * permissions (RFC 8656 §9) and channels (RFC 8656 §12). Expiry is by timestamps
 * checked on use, so the relay path needs no timers; `TurnCore` sweeps once a second to
 * free what has expired.
 */
import type { TransportAddress } from '@itda/stun';
import type { Credential } from './auth.ts';
import type { ClientRef, RelayHandle } from './io.ts';
import type { ByteBucket } from './rate-limit.ts';

/** RFC 8656 §9: "The Permission Lifetime MUST be 300 seconds (= 5 minutes)." */
export const PERMISSION_LIFETIME_MS = 300_000;
/** RFC 8656 §12: a channel binding lasts 10 minutes unless refreshed. */
export const CHANNEL_LIFETIME_MS = 600_000;
/**
 * RFC 8656 §12: after a binding expires, the channel number and the transport address
 * cannot be bound to anything else for 5 more minutes.
 */
export const CHANNEL_COOLDOWN_MS = 300_000;

/** A channel binding. */
export interface Channel {
  readonly number: number;
  readonly peerAddress: string;
  readonly peerPort: number;
  /** Usable while `now < expiresAt`; blocks other bindings until `expiresAt + CHANNEL_COOLDOWN_MS`. */
  expiresAt: number;
  /** Counted in the channels gauge (set false by the sweep once expired). */
  active: boolean;
  /**
   * The peer is usable only as one of this server's own live relayed transport addresses
   * (own-relays.ts): ChannelData is dropped once no live allocation holds that address.
   */
  relayOnly: boolean;
}

export class Allocation<R extends RelayHandle, S> {
  readonly client: ClientRef<S>;
  readonly relay: R;
  /** XOR-RELAYED-ADDRESS as advertised (external IP when configured). */
  readonly relayed: TransportAddress;
  credential: Credential;
  /** The client's source key for the per-source quota (quota.ts). */
  readonly sourceKey: string;
  expiresAt: number;
  /** Transaction id (hex) of the Allocate that created it, and its success response, for retransmissions. */
  readonly transactionId: string;
  response: Uint8Array | undefined;
  /** Peer IP → permission expiry (ms, clock time). */
  readonly permissions = new Map<string, number>();
  /**
   * Peer IPs whose permission covers only this server's own live relayed transport
   * addresses on that IP, not its other ports (own-relays.ts): the IP itself is refused by
   * the peer policy. Checked per packet on every path, both directions.
   */
  readonly relayOnly = new Set<string>();
  readonly channels = new Map<number, Channel>();
  /** Peer IP → port → channel. */
  readonly channelsByPeer = new Map<string, Map<number, Channel>>();
  /** Bandwidth quota per direction, or undefined when unlimited. */
  readonly toPeer: ByteBucket | undefined;
  readonly fromPeer: ByteBucket | undefined;
  /** Peer IP text → bytes, for Data indications (only permitted IPs get here). */
  readonly peerIpBytes = new Map<string, Uint8Array>();
  /** Number of permissions counted in the gauge. */
  activePermissions = 0;

  constructor(init: {
    client: ClientRef<S>;
    relay: R;
    relayed: TransportAddress;
    credential: Credential;
    sourceKey: string;
    expiresAt: number;
    transactionId: string;
    toPeer: ByteBucket | undefined;
    fromPeer: ByteBucket | undefined;
  }) {
    this.client = init.client;
    this.relay = init.relay;
    this.relayed = init.relayed;
    this.credential = init.credential;
    this.sourceKey = init.sourceKey;
    this.expiresAt = init.expiresAt;
    this.transactionId = init.transactionId;
    this.toPeer = init.toPeer;
    this.fromPeer = init.fromPeer;
  }

  /** True when a permission for `ip` is installed and not expired. */
  hasPermission(ip: string, now: number): boolean {
    const t = this.permissions.get(ip);
    return t !== undefined && t > now;
  }

  /** The active channel bound to `ip:port`, if any. */
  channelFor(ip: string, port: number, now: number): Channel | undefined {
    const c = this.channelsByPeer.get(ip)?.get(port);
    return c !== undefined && c.expiresAt > now ? c : undefined;
  }

  /**
   * Installs or refreshes a permission; returns true when it is new (for the gauge).
   * `relayOnly`: the IP passed the peer policy only as this server's own relay address.
   */
  permit(ip: string, now: number, relayOnly: boolean): boolean {
    const was = this.permissions.get(ip);
    this.permissions.set(ip, now + PERMISSION_LIFETIME_MS);
    if (relayOnly) this.relayOnly.add(ip);
    else this.relayOnly.delete(ip);
    if (was === undefined) {
      this.activePermissions++;
      return true;
    }
    return false;
  }

  /** Adds a channel binding (the caller has checked the rebinding rules). */
  addChannel(channel: Channel): void {
    this.channels.set(channel.number, channel);
    let byPort = this.channelsByPeer.get(channel.peerAddress);
    if (byPort === undefined) {
      byPort = new Map();
      this.channelsByPeer.set(channel.peerAddress, byPort);
    }
    byPort.set(channel.peerPort, channel);
  }

  /** Drops an expired permission (the sweep); the caller keeps the gauge. */
  forget(ip: string): void {
    this.permissions.delete(ip);
    this.relayOnly.delete(ip);
    this.peerIpBytes.delete(ip);
    this.activePermissions--;
  }

  removeChannel(channel: Channel): void {
    this.channels.delete(channel.number);
    const byPort = this.channelsByPeer.get(channel.peerAddress);
    byPort?.delete(channel.peerPort);
    if (byPort?.size === 0) this.channelsByPeer.delete(channel.peerAddress);
  }
}
