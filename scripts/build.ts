/**
 * `npm run build` (also run by `prepare`, so `npm ci` and `npm pack` build): bundles the commands
 * into JavaScript under build/, so the installed package runs on plain Node 24 without tsx.
 *
 *   build/weft-api.mjs      src/node.ts                 the control API
 *   build/weft-agent.mjs    scripts/bin/weft-agent.ts   the host agent's command line
 *   build/weft-cni.mjs      cni/main.ts                 the CNI plugin (when cni/ exists)
 *   build/daemon.mjs        agent/dns/daemon.ts         the DNS daemon the agent spawns
 *   build/bind-helper.mjs   agent/dns/bind-helper.ts    the DNS socket helper the daemon spawns
 *   build/public/console/   console/                    the web console (Vite), served at /console
 *
 * Dependencies stay external (npm installs them with the package; libSQL has a native module).
 * The child scripts sit beside the agent because agent/dns/script-path.ts looks for them there.
 * The migrations (drizzle/) ship as they are; src/node/database.ts finds them from build/.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { CONSOLE_HEADERS } from '../src/node/console.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'build');

export const ENTRIES: Record<string, string> = {
  'weft-api': 'src/node.ts',
  'weft-agent': 'scripts/bin/weft-agent.ts',
  'weft-cni': 'cni/main.ts',
  daemon: 'agent/dns/daemon.ts',
  'bind-helper': 'agent/dns/bind-helper.ts',
};

const present = Object.fromEntries(Object.entries(ENTRIES).filter(([, file]) => existsSync(join(ROOT, file))));
rmSync(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: present,
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Each command starts with a shebang (esbuild keeps one an entry already has) and is executable.
for (const name of Object.keys(present)) {
  const file = join(OUT, `${name}.mjs`);
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith('#!')) writeFileSync(file, `#!/usr/bin/env node\n${text}`);
  chmodSync(file, 0o755);
}
console.log(
  `built ${Object.keys(present)
    .map((name) => `build/${name}.mjs`)
    .join(', ')}`,
);

// The web console (docs/console.md): a budget of 250 kB of gzipped JavaScript, checked on every build.
const CONSOLE_JS_BUDGET = 250_000;
await viteBuild({ configFile: join(ROOT, 'console', 'vite.config.ts') });
// Workers static assets apply build/public/_headers; Node sets the same headers itself (src/node/console.ts).
writeFileSync(
  join(OUT, 'public', '_headers'),
  `/console/*\n${Object.entries(CONSOLE_HEADERS)
    .map(([name, value]) => `  ${name}: ${value}\n`)
    .join('')}`,
);
const assets = join(OUT, 'public', 'console', 'assets');
const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
const raw = js.reduce((n, f) => n + readFileSync(join(assets, f)).length, 0);
const gzipped = js.reduce((n, f) => n + gzipSync(readFileSync(join(assets, f))).length, 0);
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log(`built build/public/console: JavaScript ${kB(raw)}, ${kB(gzipped)} gzipped (budget ${kB(CONSOLE_JS_BUDGET)} gzipped)`);
if (gzipped > CONSOLE_JS_BUDGET) {
  console.error(`the console's JavaScript is over its budget: ${kB(gzipped)} gzipped > ${kB(CONSOLE_JS_BUDGET)}`);
  process.exit(1);
}
