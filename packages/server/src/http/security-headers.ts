/**
 * Headers every HTTP answer carries, the web app's above all. The app shows other
 * participants' content (names, chat, files as same-origin `blob:` links), so its origin
 * allows nothing it does not need: scripts, styles and fonts from itself only;
 * connections to itself (the signaling WebSocket, `/api`) and to `blob:` (reading a
 * received file's bytes back, as the e2e tests do; a `blob:` URL only ever holds what this
 * origin already has); images from itself plus `data:` (the favicon) and `blob:`; media
 * from itself plus `blob:`; no plugins, no inline script or style, no `<base>`, framing
 * only by `frameAncestors`. A document the app opens from a `blob:` URL (a link, or
 * `window.open`) takes the policies of the app's page (HTML's "policy container";
 * web-platform-tests content-security-policy/inheritance), so a received HTML file opened
 * from the chat could not run script even if it rendered. (A `blob:` URL pasted into the
 * address bar has no initiator and inherits nothing in Chromium: that is why received
 * files are `application/octet-stream` in the first place, client/src/file-transfer.ts.)
 *
 * - `Content-Security-Policy` (W3C CSP Level 3). Its `frame-ancestors` supersedes
 *   `X-Frame-Options` (RFC 7034), which is sent too (`DENY`) when nobody may frame the app.
 * - `X-Content-Type-Options: nosniff` (WHATWG Fetch): a file is what its Content-Type
 *   says, never sniffed into a script or a stylesheet.
 * - `Referrer-Policy: no-referrer` (W3C Referrer Policy): the room name is in the URL
 *   (`/r/<room>`), and a room link is a key to the room.
 * - `Cross-Origin-Opener-Policy: same-origin` (WHATWG HTML): a cross-origin page the
 *   app opens, or that opens the app, gets no handle on its window.
 */
import { configError } from '../config/config-error.ts';

/**
 * A `frame-ancestors` source: `'self'`, or an origin `https://host[:port]` (`http:`
 * too; a leading `*.` wildcard in the host). Nothing that could end the directive
 * (`;`, `,`, spaces, quotes) passes.
 */
const FRAME_ANCESTOR = /^(?:'self'|https?:\/\/(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?)$/;

/** Throws `invalid_config` unless every entry is a `frame-ancestors` source (FRAME_ANCESTOR). */
export function validateFrameAncestors(list: readonly string[]): void {
  for (const item of list) {
    if (!FRAME_ANCESTOR.test(item)) {
      throw configError(
        `frameAncestors (--frame-ancestor, ITDA_FRAME_ANCESTORS): ${JSON.stringify(item)} is not 'self' or an origin like https://intranet.example.com`,
        { key: 'frameAncestors' },
      );
    }
  }
}

/** The web app's Content-Security-Policy; `frameAncestors` empty means `'none'`. */
export function contentSecurityPolicy(frameAncestors: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length === 0 ? "'none'" : frameAncestors.join(' ')}`,
  ].join('; ');
}

/** The headers of every answer (validate `frameAncestors` first: validateFrameAncestors). */
export function securityHeaders(frameAncestors: readonly string[] = []): Readonly<Record<string, string>> {
  return {
    'content-security-policy': contentSecurityPolicy(frameAncestors),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    ...(frameAncestors.length === 0 ? { 'x-frame-options': 'DENY' } : {}),
  };
}
