/**
 * Issue 18, packaging: the packed tarball (`npm pack`, which runs `prepare` → `npm run build`)
 * installs into a clean prefix and its commands run on plain Node 24, without tsx or the sources:
 * `--help` on stdout with exit 0, an unknown flag refused with exit 2, and `weft-api` starts, migrates
 * its database, answers /readyz and serves the web console at /console/.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEdKey } from '../support/api.ts';
import { freePort } from '../support/ports.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the packed tarball on a clean prefix', () => {
  let dir: string;
  let prefix: string;
  let api: ChildProcess | null = null;
  // Node 24 first on PATH (the `node` devDependency), as on a host that has it installed.
  const env = () => ({ ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, NODE_OPTIONS: '' });
  const run = (command: string, args: string[]) => spawnSync(join(prefix, 'bin', command), args, { env: env(), encoding: 'utf8', timeout: 30_000 });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-pack-'));
    prefix = join(dir, 'prefix');
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env: env(), stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)], {
      cwd: dir,
      env: env(),
      stdio: 'pipe',
    });
  }, 300_000);

  afterAll(() => {
    if (api?.pid) {
      try {
        process.kill(api.pid, 'SIGTERM');
      } catch {}
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships JavaScript and migrations, no TypeScript sources and no tsx', () => {
    const pkg = join(prefix, 'lib', 'node_modules', 'weft');
    expect(readdirSync(join(pkg, 'build')).filter((f) => f.endsWith('.mjs'))).toEqual(
      expect.arrayContaining(['weft-api.mjs', 'weft-agent.mjs', 'weft-cni.mjs', 'daemon.mjs', 'bind-helper.mjs']),
    );
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(pkg, 'agent'))).toBe(false);
    expect(readdirSync(join(pkg, 'drizzle')).length).toBeGreaterThan(0);
    expect(existsSync(join(pkg, 'node_modules', 'tsx'))).toBe(false);
  });

  it('weft-agent, weft-api and weft-cni: --help on stdout with exit 0, an unknown flag exits 2', () => {
    for (const command of ['weft-agent', 'weft-api', 'weft-cni']) {
      const help = run(command, ['--help']);
      expect({ command, status: help.status, stderr: help.stderr }).toEqual({ command, status: 0, stderr: '' });
      expect(help.stdout).toContain(`usage: ${command}`);
      const bad = run(command, ['--no-such-flag']);
      expect({ command, status: bad.status }).toEqual({ command, status: 2 });
      expect(bad.stderr).toMatch(/no-such-flag/);
    }
    expect(run('weft-agent', ['run', '--help']).stdout).toContain('usage: weft-agent run');
  });

  it('weft-api starts on plain Node, migrates its database and is ready', async () => {
    const port = await freePort();
    api = spawn(join(prefix, 'bin', 'weft-api'), [], {
      env: { ...env(), PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `file:${join(dir, 'data', 'weft.db')}`, AUTH_EDDSA_PRIVATE_KEY: await newEdKey() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    api.stdout!.on('data', (d) => (out += d));
    api.stderr!.on('data', (d) => (out += d));
    await expect.poll(() => out, { timeout: 30_000 }).toMatch(/listening on http/);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, migrations: { current: true } });
    // The web console ships built inside the package (build/public/console) and is served at /console/.
    const consolePage = await fetch(`http://127.0.0.1:${port}/console/`);
    expect({ status: consolePage.status, type: consolePage.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(await consolePage.text()).toContain('<div id="app"></div>');
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  }, 60_000);
});
