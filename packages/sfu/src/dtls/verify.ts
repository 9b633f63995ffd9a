/**
 * Peer authentication checks made after the DTLS implementation reports a finished
 * handshake and before any key leaves this module.
 *
 * werift-dtls 0.5.8 checks neither the client's CertificateVerify signature nor the
 * peer's Finished (nor, as a client, the ServerKeyExchange signature). Without those a
 * fingerprint check is worthless: certificates travel in clear text, so anyone can replay
 * one. So we check them here, over the same handshake transcript werift keeps:
 * - server role: CertificateVerify (RFC 5246 §7.4.8) with the client certificate's key,
 *   and the client's Finished (RFC 5246 §7.4.9);
 * - client role: ServerKeyExchange signature (RFC 8422 §5.4) and the server's Finished.
 * The handshake hash in DTLS covers each message with its 12-byte DTLS header as a single
 * fragment (RFC 6347 §4.2.6), minus the first ClientHello and HelloVerifyRequest.
 */
import { timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import { DtlsError, DtlsErrorCode } from './errors.ts';
import { finishedVerifyData } from './prf.ts';

/** One handshake message of the transcript, in transcript order. */
export interface TranscriptMessage {
  /** werift's flight number the message was cached under (server: 4 hello…, 5 client, 6 finished; client: 3, 4, 5). */
  flight: number;
  /** HandshakeType (RFC 5246 §7.4). */
  type: number;
  /** The message body, without the DTLS handshake header. */
  body: Uint8Array;
  /** The message with its 12-byte DTLS handshake header, as hashed. */
  bytes: Uint8Array;
}

export interface VerifyInput {
  role: 'server' | 'client';
  transcript: readonly TranscriptMessage[];
  masterSecret: Uint8Array;
  /** DER of the peer's leaf certificate. */
  peerCertificate: Uint8Array;
  /**
   * The peer's Finished body when it is not in `transcript`: client role always (werift
   * does not cache the server's); server role when checking before werift sees it.
   */
  peerFinished?: Uint8Array;
}

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const SERVER_KEY_EXCHANGE = 12;
const CERTIFICATE_VERIFY = 15;
const FINISHED = 20;

/** Hash names of the TLS 1.2 SignatureAndHashAlgorithm.hash registry (RFC 5246 §7.4.1.4.1). */
const HASHES: Record<number, string> = { 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };

/** Throws a `DtlsError` (`dtls_bad_signature`, `dtls_bad_finished`) unless the peer proved its key and transcript. */
export function verifyPeer(input: VerifyInput): void {
  if (input.role === 'server') verifyClient(input);
  else verifyServer(input);
}

function verifyClient(input: VerifyInput): void {
  const t = input.transcript;
  // CertificateVerify: the client's signature over every message before it (RFC 5246 §7.4.8).
  const cv = t.findIndex((m) => m.flight === 5 && m.type === CERTIFICATE_VERIFY);
  const cvMsg = t[cv];
  if (cvMsg === undefined) throw new DtlsError(DtlsErrorCode.NoPeerCertificate, 'client sent no CertificateVerify');
  checkSignature(input.peerCertificate, concat(t.slice(0, cv)), cvMsg.body, 'CertificateVerify');
  // The client's Finished over every message before it (RFC 5246 §7.4.9).
  // Either werift cached it, or the caller checks before werift sees it (then the transcript ends before it).
  const fin = t.findIndex((m) => m.flight === 5 && m.type === FINISHED);
  const finBody = fin >= 0 ? t[fin]?.body : input.peerFinished;
  if (finBody === undefined) throw new DtlsError(DtlsErrorCode.BadFinished, 'client Finished missing');
  checkFinished(input.masterSecret, true, concat(fin >= 0 ? t.slice(0, fin) : t), finBody);
}

function verifyServer(input: VerifyInput): void {
  const t = input.transcript;
  const hello = [...t].reverse().find((m) => m.type === CLIENT_HELLO);
  const serverHello = t.find((m) => m.type === SERVER_HELLO);
  const ske = t.find((m) => m.type === SERVER_KEY_EXCHANGE);
  if (hello === undefined || serverHello === undefined || ske === undefined) {
    throw new DtlsError(DtlsErrorCode.BadSignature, 'handshake transcript incomplete');
  }
  // ServerKeyExchange (RFC 8422 §5.4): signed = client_random + server_random + ServerECDHParams.
  const body = ske.body;
  if (body.length < 4 || body[0] !== 3)
    throw new DtlsError(DtlsErrorCode.BadSignature, 'ServerKeyExchange is not named_curve');
  const paramsLength = 4 + (body[3] ?? 0);
  if (paramsLength > body.length) throw new DtlsError(DtlsErrorCode.BadSignature, 'ServerKeyExchange truncated');
  const signed = Buffer.concat([
    hello.body.subarray(2, 34),
    serverHello.body.subarray(2, 34),
    body.subarray(0, paramsLength),
  ]);
  checkSignature(input.peerCertificate, signed, body.subarray(paramsLength), 'ServerKeyExchange');
  if (input.peerFinished === undefined) throw new DtlsError(DtlsErrorCode.BadFinished, 'server Finished missing');
  checkFinished(
    input.masterSecret,
    false,
    concat(t.filter((m) => m.type !== FINISHED || m.flight === 5)),
    input.peerFinished,
  );
}

/** `digitally-signed` (RFC 5246 §4.7): hash(1) signature(1) length(2) signature. */
function checkSignature(certDer: Uint8Array, data: Uint8Array, signedStruct: Uint8Array, what: string): void {
  const hash = HASHES[signedStruct[0] ?? 0];
  const length = ((signedStruct[2] ?? 0) << 8) | (signedStruct[3] ?? 0);
  if (hash === undefined || signedStruct.length < 4 + length) {
    throw new DtlsError(DtlsErrorCode.BadSignature, `${what}: unsupported or truncated signature`);
  }
  const signature = signedStruct.subarray(4, 4 + length);
  let ok = false;
  try {
    const key = new X509Certificate(certDer).publicKey;
    ok = verify(hash, data, key, signature); // ECDSA: DER signature; RSA: PKCS #1 v1.5
  } catch (err) {
    throw new DtlsError(DtlsErrorCode.BadSignature, `${what}: cannot verify`, { cause: err });
  }
  if (!ok) throw new DtlsError(DtlsErrorCode.BadSignature, `${what} signature does not verify`);
}

function checkFinished(master: Uint8Array, isClient: boolean, transcript: Uint8Array, got: Uint8Array): void {
  const want = finishedVerifyData(master, isClient, transcript);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new DtlsError(DtlsErrorCode.BadFinished, `${isClient ? 'client' : 'server'} Finished does not verify`);
  }
}

function concat(messages: readonly TranscriptMessage[]): Buffer {
  return Buffer.concat(messages.map((m) => m.bytes));
}
