/**
 * Node-only: serves the web console (console/, built by `npm run build` into build/public/console) at
 * /console. On Workers the same folder is the Worker's static assets (wrangler.toml `[assets]`), so
 * the API code itself has no route for it. Before a build the route answers 404 with the command to run.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

/** build/public of the checkout (this file is src/node/console.ts), or of the package (bundled into build/weft-api.mjs). */
export const CONSOLE_ROOT = ['../../build/public', './public']
  .map((up) => resolve(dirname(fileURLToPath(import.meta.url)), up))
  .find((dir) => existsSync(join(dir, 'console', 'index.html')));

/**
 * Response headers of every console file, on Node (below) and on Workers (scripts/build.ts writes
 * them to build/public/_headers, which Workers static assets apply). The token lives in session
 * storage, so no script may come from anywhere but this origin, and the page talks only to it.
 */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Adds GET /console (a redirect to /console/) and the console's files under /console/. */
export function mountConsole(app: Hono, root: string | undefined = CONSOLE_ROOT): void {
  app.get('/console', (c) => c.redirect('/console/', 308));
  if (!root) {
    app.get('/console/*', (c) => c.text('the console is not built: run `npm run build`\n', 404));
    return;
  }
  // Hashed assets never change under their name; index.html must be read again after a build.
  app.use('/console/*', async (c, next) => {
    await next();
    if (c.res.status !== 200) return;
    c.header('cache-control', c.req.path.startsWith('/console/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) c.header(name, value);
  });
  app.use('/console/*', serveStatic({ root }));
}
