import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { NextFunction, Request, Response } from 'express';

export const CONSOLE_PATH = '/console';

/** Only our own origin: no inline script or style, no CDN, no outside font, no framing. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `npm run build` writes the console beside the compiled server: <package root>/dist/console. */
export function consoleAssetsDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

/**
 * The admin console at /console: hashed assets cached for a year, the page itself revalidated on
 * every load, and any other path under /console answered with the page (the console routes itself).
 */
export function mountConsole(http: express.Express, assetsDir = consoleAssetsDir()): void {
  const indexFile = join(assetsDir, 'index.html');
  const router = express.Router();
  router.use(securityHeaders);
  router.use('/assets', express.static(join(assetsDir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: false }));
  router.use(express.static(assetsDir, { index: false, redirect: false, maxAge: 0 }));
  router.get(/.*/, (_req: Request, res: Response) => {
    if (!existsSync(indexFile)) {
      res.status(503).type('text/plain').send('The admin console is not built: run `npm run build`.');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });
  http.use(CONSOLE_PATH, router);
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}
