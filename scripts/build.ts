/**
 * `npm run build` (also run by `prepare`, so `npm ci` and `npm pack` build): bundles the commands
 * into JavaScript under build/, so the installed package runs on plain Node 24 without tsx.
 *
 *   build/weft-api.mjs      src/node.ts                 the control API
 *   build/weft-agent.mjs    scripts/bin/weft-agent.ts   the host agent's command line
 *   build/weft-cni.mjs      cni/main.ts                 the CNI plugin (when cni/ exists)
 *   build/daemon.mjs        agent/dns/daemon.ts         the DNS daemon the agent spawns
 *   build/bind-helper.mjs   agent/dns/bind-helper.ts    the DNS socket helper the daemon spawns
 *
 * Dependencies stay external (npm installs them with the package; libSQL has a native module).
 * The child scripts sit beside the agent because agent/dns/script-path.ts looks for them there.
 * The migrations (drizzle/) ship as they are; src/node/database.ts finds them from build/.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

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
