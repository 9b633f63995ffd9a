/** What certificate a TLS server gives a new connection (tests of certificate reloads). */
import { connect } from 'node:tls';

/** SHA-256 fingerprint (colon hex) of the certificate `host:port` presents now; not verified. */
export function servedFingerprint(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}
