/**
 * Test helper (not exported from the package): two DtlsSessions wired back to back in
 * memory through queues, pumped until quiet. `tamper` may rewrite, drop or duplicate each
 * datagram on the way.
 */
import { type Clock, ManualClock } from '@itda/common';
import type { SrtpProfile } from '../srtp/index.ts';
import { createDtlsCertificate, type DtlsCertificate, type DtlsFingerprint } from './certificate.ts';
import type { DtlsError } from './errors.ts';
import { DtlsSession, type SrtpKeyingMaterial } from './session.ts';

export interface Side {
  session: DtlsSession;
  certificate: DtlsCertificate;
  keys: SrtpKeyingMaterial | undefined;
  failed: DtlsError | undefined;
  closed: string | undefined;
  data: Uint8Array[];
  dropped: string[];
  /** Datagrams this side sent. */
  sent: Uint8Array[];
}

export interface PairOptions {
  serverProfiles?: SrtpProfile[];
  clientProfiles?: SrtpProfile[];
  /** What the server believes the client's fingerprint is (default: the right one). */
  clientFingerprintAtServer?: DtlsFingerprint;
  serverFingerprintAtClient?: DtlsFingerprint;
  /** Certificates to use instead of the shared test ones (e.g. a certificate with someone else's key). */
  serverCertificate?: DtlsCertificate;
  clientCertificate?: DtlsCertificate;
  clock?: Clock;
  tamper?: (datagram: Uint8Array, from: 'server' | 'client') => Uint8Array[];
}

export interface Pair {
  server: Side;
  client: Side;
  clock: Clock;
  /** Delivers queued datagrams (and lets werift's promises run) until nothing moves; at most `rounds` rounds. */
  pump(rounds?: number): Promise<void>;
}

const certs = [createDtlsCertificate(), createDtlsCertificate()] as const;

export function pair(options: PairOptions = {}): Pair {
  const clock = options.clock ?? new ManualClock();
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const tamper = options.tamper ?? ((d) => [d]);
  const side = (certificate: DtlsCertificate): Side => ({
    session: undefined as unknown as DtlsSession, // set right below
    certificate,
    keys: undefined,
    failed: undefined,
    closed: undefined,
    data: [],
    dropped: [],
    sent: [],
  });
  const server = side(options.serverCertificate ?? certs[0]);
  const client = side(options.clientCertificate ?? certs[1]);
  server.session = new DtlsSession({
    role: 'server',
    certificate: server.certificate,
    remoteFingerprints: [options.clientFingerprintAtServer ?? client.certificate.fingerprint],
    send: (d) => {
      server.sent.push(Uint8Array.prototype.slice.call(d));
      toClient.push(...tamper(Uint8Array.prototype.slice.call(d), 'server'));
    },
    ...(options.serverProfiles ? { srtpProfiles: options.serverProfiles } : {}),
    clock,
  });
  listen(server);
  client.session = new DtlsSession({
    role: 'client',
    certificate: client.certificate,
    remoteFingerprints: [options.serverFingerprintAtClient ?? server.certificate.fingerprint],
    send: (d) => {
      client.sent.push(Uint8Array.prototype.slice.call(d));
      toServer.push(...tamper(Uint8Array.prototype.slice.call(d), 'client'));
    },
    ...(options.clientProfiles ? { srtpProfiles: options.clientProfiles } : {}),
    clock,
  });
  listen(client);
  const pump = async (rounds = 50): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      await new Promise<void>((r) => setImmediate(r));
      if (toServer.length === 0 && toClient.length === 0) {
        await new Promise<void>((r) => setImmediate(r));
        if (toServer.length === 0 && toClient.length === 0) return;
      }
      for (const d of toServer.splice(0)) server.session.handle(d);
      for (const d of toClient.splice(0)) client.session.handle(d);
    }
  };
  return { server, client, clock, pump };
}

function listen(s: Side): void {
  s.session.on('connected', (k) => {
    s.keys = k;
  });
  s.session.on('failed', (e) => {
    s.failed = e;
  });
  s.session.on('closed', (r) => {
    s.closed = r;
  });
  s.session.on('data', (d) => s.data.push(d));
  s.session.on('dropped', (c) => s.dropped.push(c));
}
