/**
 * A self-signed X.509 certificate made at start, so TURN over TLS (`turns:`) works out of
 * the box in development when no `--turn-cert`/`--turn-key` is configured.
 *
 * Why our own: node:crypto makes keys and signatures but no certificates; the npm
 * alternatives (`selfsigned`, `@peculiar/x509`) pull in ASN.1 libraries for what is ~100
 * lines of DER. Shelling out to `openssl` would tie startup to a binary that may be
 * missing. This writes the few DER shapes a certificate needs (ITU-T X.690) and signs with
 * node:crypto — no dependency, no network, no child process.
 *
 * The certificate (RFC 5280): version 3, random 128-bit serial, ECDSA P-256 with SHA-256
 * (RFC 5758 §3.2), issuer = subject = `CN=<commonName>`, subjectAltName with every host
 * (DNS names and IP addresses), basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extKeyUsage serverAuth.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export interface SelfSignedOptions {
  /** Subject and issuer common name. Default `itda`. */
  commonName?: string;
  /** DNS names and IP addresses for subjectAltName. Default `localhost`, `127.0.0.1`, `::1`. */
  hosts?: readonly string[];
  /** Validity in days from `now`. Default 365; 1–3650. */
  days?: number;
  /** Start of validity. Default: now minus one hour (tolerates clock skew). */
  notBefore?: Date;
}

export interface SelfSigned {
  /** PEM `CERTIFICATE`. */
  cert: string;
  /** PEM `PRIVATE KEY` (PKCS #8). */
  key: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as browsers show it). */
  fingerprint256: string;
}

// ---- DER (ITU-T X.690 §8) ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  const year = d.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand `::` and write 8 groups of 16 bits.
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function subjectAltName(hosts: readonly string[]): Buffer {
  const names = hosts.map((h) => {
    const ip = h.replace(/^\[|\]$/g, '');
    // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (RFC 5280 §4.2.1.6).
    return isIP(ip) !== 0 ? tlv(0x87, ipBytes(ip)) : tlv(0x82, Buffer.from(h, 'ascii'));
  });
  return seq(...names);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** Makes a fresh key pair and a self-signed certificate for `hosts`. */
export function selfSignedCertificate(options: SelfSignedOptions = {}): SelfSigned {
  const commonName = options.commonName ?? 'itda';
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new RangeError('days must be an integer 1–3650');
  if (hosts.length === 0) throw new RangeError('hosts must name at least one DNS name or IP address');
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER (RFC 5280 §4.1.2.2)
  if (serial[0] === 0) serial[0] = 1; // and minimally encoded
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const algorithm = seq(oid(ECDSA_WITH_SHA256));

  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // [0] EXPLICIT version v3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    tlv(
      0xa3, // [3] EXPLICIT extensions
      seq(
        extension('2.5.29.17', false, subjectAltName(hosts)),
        extension('2.5.29.19', true, seq()), // basicConstraints: CA FALSE
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x07, 0x80]))), // keyUsage: digitalSignature
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));

  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  const cert = `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const fingerprint256 = (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
  return { cert, key, fingerprint256 };
}

/**
 * base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate — the pin Chromium's
 * `--ignore-certificate-errors-spki-list` takes (how the e2e tests make Chromium accept
 * the self-signed TURN certificate, and only that one).
 */
export function spkiSha256(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
