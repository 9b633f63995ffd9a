/**
 * The certificate of itda's HTTPS/WSS port (config/tls-settings.ts): read from
 * `--tls-cert`/`--tls-key` and checked to load, or made at start (`--tls self-signed`)
 * for this machine's names and addresses. A file that cannot be read or does not load
 * is an `invalid_config` error naming it (the server refuses to start; on SIGHUP the
 * old certificate stays).
 */

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { selfSignedCertificate, spkiSha256 } from '@itda/common/node';
import { configError } from '../config/config-error.ts';
import { machineNames } from '../config/hosts.ts';
import type { TlsConfig } from '../config/tls-settings.ts';

export interface TlsIdentity {
  cert: string;
  key: string;
  /** Made at start (`--tls self-signed`): browsers warn once, and refuse it for `turns:`. */
  selfSigned: boolean;
  /** SHA-256 of the certificate, colon-separated hex, as browsers show it. */
  fingerprint256: string;
  /** base64 SHA-256 of the public key (SPKI): Chromium's `--ignore-certificate-errors-spki-list` pin. */
  spkiSha256: string;
  /** Names and addresses the certificate is for (subjectAltName). */
  names: string[];
  /** The files it came from, for a reload. */
  files: { cert: string; key: string } | undefined;
}

function read(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw configError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      key: flag === '--tls-cert' ? 'tlsCert' : 'tlsKey',
    });
  }
}

/** Reads and checks a certificate and key pair. Throws `invalid_config` naming the file. */
export function readTlsFiles(certFile: string, keyFile: string): TlsIdentity {
  const cert = read(certFile, '--tls-cert');
  const key = read(keyFile, '--tls-key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw configError(`--tls-cert ${certFile} is not a PEM certificate`, { key: 'tlsCert' });
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw configError(`--tls-key ${keyFile} does not load with --tls-cert ${certFile}: ${(err as Error).message}`, {
      key: 'tlsKey',
    });
  }
  const names = (x509.subjectAltName ?? '')
    .split(',')
    .map((n) => n.trim().replace(/^(DNS|IP Address):/, ''))
    .filter((n) => n.length > 0);
  return {
    cert,
    key,
    selfSigned: false,
    fingerprint256: x509.fingerprint256,
    spkiSha256: spkiSha256(cert),
    names,
    files: { cert: certFile, key: keyFile },
  };
}

/** The HTTPS identity of a config, or undefined for plain HTTP. Throws `invalid_config`. */
export function loadTlsIdentity(config: TlsConfig & { host: string }): TlsIdentity | undefined {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) return readTlsFiles(config.tlsCert, config.tlsKey);
  if (config.tls !== 'self-signed') return undefined;
  const names = machineNames([config.host]);
  const made = selfSignedCertificate({ hosts: names });
  return {
    cert: made.cert,
    key: made.key,
    selfSigned: true,
    fingerprint256: made.fingerprint256,
    spkiSha256: spkiSha256(made.cert),
    names,
    files: undefined,
  };
}
