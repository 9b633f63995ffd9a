/**
 * Node-only helpers of @itda/common (`@itda/common/node`): they use node:crypto, so they
 * stay out of the browser entry point.
 */
export { type SelfSigned, type SelfSignedOptions, selfSignedCertificate, spkiSha256 } from './self-signed.ts';
