/**
 * Static files of the web app. The app routes on the client, so `/`, `/r/<room>` and
 * `/lab` all get `index.html` (no-cache); hashed build assets (`/assets/name-HASH.ext`)
 * are cached for a year (`immutable`); other files revalidate (ETag).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** Vite names build assets `name-<hash>.ext` with a hash of 8+ URL-safe characters. */
const HASHED = /^\/assets\/.+[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** Paths the client-side router owns. */
export function isAppRoute(pathname: string): boolean {
  return pathname === '/' || pathname === '/lab' || /^\/r\/[^/]+\/?$/.test(pathname);
}

export type StaticResult = 'served' | 'not_found';

export class StaticFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Serves `pathname` (GET/HEAD). Resolves `not_found` without answering when there is no such file. */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<StaticResult> {
    const file = isAppRoute(pathname) ? resolve(this.root, 'index.html') : this.#resolve(pathname);
    if (file === undefined) return 'not_found';
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch {
      return 'not_found';
    }
    if (!info.isFile()) return 'not_found';
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const cache = file.endsWith(`${sep}index.html`)
      ? 'no-cache'
      : HASHED.test(pathname)
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=0, must-revalidate';
    const headers: Record<string, string | number> = {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': cache,
      etag,
      'last-modified': info.mtime.toUTCString(),
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return 'served';
    }
    res.writeHead(200, { ...headers, 'content-length': info.size });
    if (req.method === 'HEAD') {
      res.end();
      return 'served';
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return 'served';
  }

  /** Maps a URL path into the root; undefined if it escapes it or is malformed. */
  #resolve(pathname: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const file = resolve(this.root, `.${decoded}`);
    if (!file.startsWith(this.root + sep)) return undefined;
    return file;
  }
}
