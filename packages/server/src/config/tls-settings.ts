/**
 * HTTPS and WSS on itda's own port (docs/server.md, "HTTPS"): browsers give camera and
 * microphone only to secure pages, so anyone joining from another machine needs one.
 * Rows of the one settings table (config.ts).
 *
 * - `--tls-cert` / `--tls-key`: a certificate (chain) and its key, PEM; reloaded on SIGHUP.
 * - `--tls self-signed`: a certificate made at start for this machine's host name and
 *   addresses; its fingerprints are printed (browsers warn once; tests pin it).
 * With TLS on, the port serves HTTPS and answers plain HTTP with a redirect to HTTPS on
 * the same port, and TURN over TLS uses the same certificate unless it has its own.
 */
import type { Setting } from './config.ts';
import { configError } from './config-error.ts';

/** `off`: plain HTTP. `self-signed`: HTTPS with a certificate made at start. */
export type TlsMode = 'off' | 'self-signed';

export interface TlsConfig {
  /** Default `off`; `--tls-cert`/`--tls-key` turn HTTPS on by themselves. */
  tls: TlsMode;
  /** PEM certificate (chain) file for HTTPS/WSS. Unset: none. */
  tlsCert: string | undefined;
  /** PEM private key of `tlsCert`. */
  tlsKey: string | undefined;
}

export const DEFAULT_TLS_CONFIG: TlsConfig = { tls: 'off', tlsCert: undefined, tlsKey: undefined };

export const TLS_SETTINGS: readonly Setting<TlsConfig>[] = [
  {
    key: 'tls',
    flag: 'tls',
    env: ['ITDA_TLS'],
    kind: 'string',
    arg: '<mode>',
    help: 'off, or self-signed: HTTPS with a certificate made at start (--tls-cert/--tls-key: your own)',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: ['ITDA_TLS_CERT'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'certificate (chain) for HTTPS and WSS; reloaded on SIGHUP',
    shownDefault: 'none',
    optional: true,
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    env: ['ITDA_TLS_KEY'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'private key of --tls-cert',
    shownDefault: 'none',
    optional: true,
  },
];

/** Whether the config serves HTTPS. */
export function tlsEnabled(config: TlsConfig): boolean {
  return config.tls === 'self-signed' || config.tlsCert !== undefined;
}

/** Throws `invalid_config` for a mode that is not one, or a certificate without its key. */
export function validateTls(config: TlsConfig): void {
  if (config.tls !== 'off' && config.tls !== 'self-signed') {
    throw configError(`tls (--tls, ITDA_TLS): must be off or self-signed, got ${JSON.stringify(config.tls)}`, {
      key: 'tls',
    });
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw configError('--tls-cert and --tls-key go together (ITDA_TLS_CERT, ITDA_TLS_KEY)', { key: 'tlsCert' });
  }
  if (config.tls === 'self-signed' && config.tlsCert !== undefined) {
    throw configError('--tls self-signed and --tls-cert exclude each other: pick one', { key: 'tls' });
  }
}
