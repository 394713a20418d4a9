/**
 * The web app on the local stack (docs/protocol.md §7): the files of web/dist, and index.html for the single-page
 * routes (`/`, `/s/*`); anything else (the API under `/api`, unknown paths) is left to the API front. `/config.json`
 * tells the app where the API is: this same origin. The bundle is rebuilt on start when it is missing
 * or older than its sources (about a second with esbuild).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { buildWebApp, WEB_DIST, webAppIsStale } from '../web/build.js';
import type { Logger } from './log.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Builds web/dist if needed; returns how long that took (0 when it was fresh). */
export async function prepareWebApp(log: Logger, dist: string = WEB_DIST): Promise<number> {
  if (!webAppIsStale(dist)) return 0;
  const started = Date.now();
  await buildWebApp(dist);
  const ms = Date.now() - started;
  log.info(`web app built in ${ms} ms`);
  return ms;
}

/** True when the request is the web app's (and was answered); false leaves it to the API front. */
export function serveWebApp(req: IncomingMessage, res: ServerResponse, dist: string = WEB_DIST): boolean {
  const method = req.method ?? 'GET';
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
  } catch {
    return false; // a broken percent-encoding: the API front answers it with the contract's 400
  }
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/@')) return false;
  if (method !== 'GET' && method !== 'HEAD') return false;

  if (path === '/config.json') {
    const host = req.headers.host ?? 'localhost';
    return send(res, 200, TYPES['.json']!, JSON.stringify({ httpUrl: `http://${host}`, wsUrl: `ws://${host}/ws` }), method);
  }
  const file = normalize(join(dist, path));
  if (file.startsWith(dist + sep) && existsSync(file) && statSync(file).isFile()) {
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      // Chunks carry a content hash in their name; the entry points do not.
      'cache-control': path.startsWith('/chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  if (path === '/' || path.startsWith('/s/')) {
    const index = join(dist, 'index.html');
    if (!existsSync(index)) return send(res, 503, 'text/plain', 'The web app is not built yet.', method);
    res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache', 'referrer-policy': 'no-referrer' });
    if (method === 'HEAD') res.end();
    else createReadStream(index).pipe(res);
    return true;
  }
  return false; // not the app's: the API front answers (404 as API Gateway would)
}

function send(res: ServerResponse, status: number, type: string, body: string, method: string): boolean {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}
