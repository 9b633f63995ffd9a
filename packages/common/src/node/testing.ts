/** Node-only helpers for tests (not part of any runtime): `@itda/common/node-testing`. */
export { handlesLeft, withTimeout } from './handles-testing.ts';
export { servedFingerprint } from './tls-testing.ts';
