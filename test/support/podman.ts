/**
 * Podman as a lab host's container runtime, for the CNI suite and `npm run bench` (docs/cni.md).
 *
 * Each lab host gets its own podman: storage, run and tmp directories under a scratch directory,
 * and a `containers.conf` (runc, cgroupfs, ulimits this kind of machine allows, the CNI backend)
 * whose network config directory is the one its agent writes conflists into. Podman runs inside
 * the host's network namespace through `nsenter --net` (not `ip netns exec`, whose private mount
 * namespace would hide podman's /run/netns mounts from the agent), so plugins, and any firewall
 * rule a chained plugin writes, stay in that namespace. Containers use a busybox-static root
 * filesystem (`--rootfs`): no image registry. `cleanup()` removes every container it started and
 * its storage; it never touches podman's default network (no container here ever joins it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLastKnownGood } from '../../agent/state/last-known-good.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const APPLETS = ['sh', 'ip', 'nslookup', 'ping', 'nc', 'sleep', 'cat', 'echo', 'env', 'ls', 'hostname', 'sysctl', 'true'];

/** A busybox-static root filesystem in `dir`. */
export function makeRootfs(dir: string): string {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'run']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const a of APPLETS) if (!existsSync(join(dir, 'bin', a))) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  return dir;
}

/**
 * `weft-cni` in `binDir`: a shim running this checkout's plugin with the project's Node 24 — the
 * source `cni/main.ts` (tests: the code under change), or `build/weft-cni.mjs` (what the package
 * installs; about 0.1 s faster to start, and libcni starts the plugin twice per ADD: VERSION, then ADD).
 */
export function installWeftCni(binDir: string, entry: 'cni/main.ts' | 'build/weft-cni.mjs' = 'cni/main.ts'): string {
  mkdirSync(binDir, { recursive: true });
  const path = join(binDir, 'weft-cni');
  writeFileSync(path, `#!/bin/sh\nexec "${join(ROOT, 'node_modules/.bin/node')}" "${join(ROOT, entry)}"\n`, { mode: 0o755 });
  return path;
}

/** True when `build/weft-cni.mjs` exists and is newer than every file of `cni/`. */
export function builtCniIsFresh(): boolean {
  const built = join(ROOT, 'build/weft-cni.mjs');
  if (!existsSync(built)) return false;
  const t = statSync(built).mtimeMs;
  return readdirSync(join(ROOT, 'cni')).every((f) => statSync(join(ROOT, 'cni', f)).mtimeMs <= t);
}

/** One lab host's podman. */
export class HostPodman {
  readonly containers = new Set<string>();
  readonly conf: string;

  constructor(
    readonly dir: string,
    readonly hostNs: string,
    readonly confDir: string,
    pluginDir: string,
  ) {
    for (const d of ['storage', 'run', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
    mkdirSync(confDir, { recursive: true });
    this.conf = join(dir, 'containers.conf');
    writeFileSync(
      this.conf,
      [
        '[containers]',
        'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = "${join(dir, 'tmp')}"`,
        '[network]',
        'network_backend = "cni"',
        `cni_plugin_dirs = ["${pluginDir}", "/usr/lib/cni"]`,
        `network_config_dir = "${confDir}"`,
        '',
      ].join('\n'),
    );
  }

  /** Runs podman in the host's namespace; resolves with stdout, rejects with argv and stderr. */
  podman(args: string[], env: Record<string, string> = {}): Promise<string> {
    const argv = ['--net=/run/netns/' + this.hostNs, 'podman', '--root', join(this.dir, 'storage'), '--runroot', join(this.dir, 'run'), ...args];
    return new Promise((resolvePromise, reject) => {
      execFile('nsenter', argv, { env: { ...process.env, CONTAINERS_CONF: this.conf, ...env }, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`podman ${args.join(' ')}: ${stderr || error.message}`));
        else resolvePromise(stdout);
      });
    });
  }

  /** `podman run -d` of a long-running busybox container; returns its runtime id. */
  async run(name: string, rootfs: string, opts: string[] = [], env: Record<string, string> = {}): Promise<string> {
    this.containers.add(name);
    return (await this.podman(['run', '-d', '--name', name, ...opts, '--rootfs', rootfs, 'sleep', '86400'], env)).trim();
  }

  /** The container's network namespace path (what CNI_NETNS was). */
  async netns(name: string): Promise<string> {
    return (await this.podman(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', name])).trim();
  }

  /** Runs a command in a container; resolves with stdout. */
  exec(name: string, argv: string[]): Promise<string> {
    return this.podman(['exec', name, ...argv]);
  }

  /** `podman rm -f`. */
  async remove(name: string): Promise<void> {
    await this.podman(['rm', '-f', '-t', '0', name]);
    this.containers.delete(name);
  }

  /** Removes every container this object started, then its storage. Never throws. */
  async cleanup(): Promise<void> {
    for (const name of [...this.containers]) await this.remove(name).catch(() => {});
    await this.podman(['rm', '-a', '-f', '-t', '0']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `dig` for an A record from inside network namespace `netnsPath`; the addresses, sorted and space-separated. */
export function digFrom(netnsPath: string, server: string, name: string): Promise<string> {
  return new Promise((resolvePromise) => {
    execFile('nsenter', [`--net=${netnsPath}`, 'dig', '+short', '+time=1', '+tries=1', `@${server}`, name, 'A'], (error, out) =>
      resolvePromise(error ? '' : out.trim().split('\n').sort().join(' ')),
    );
  });
}

/** What one `podman run` → resolvable measurement took, in ms from just before `podman run`. */
export interface RunTiming {
  /** `podman run -d` returned: the container runs, weft-cni's ADD included. */
  run: number;
  /** The scheduler marked it RUNNING in the API. */
  running: number;
  /** A peer on another host resolves its private name to its IP. */
  resolved: number;
}

/**
 * One measurement: starts the (already allocated, agent-known) container with podman, marks it
 * RUNNING (the scheduler's half), and polls the peer's namespace until the name resolves.
 */
export async function runToResolvable(o: {
  pod: HostPodman;
  id: string;
  runOpts: string[];
  rootfs: string;
  markRunning: () => Promise<void>;
  peerNetns: string;
  gateway: string;
  hostname: string;
  ip: string;
}): Promise<RunTiming> {
  const t0 = performance.now();
  await o.pod.run(o.id, o.rootfs, o.runOpts);
  const run = performance.now() - t0;
  await o.markRunning();
  const running = performance.now() - t0;
  while ((await digFrom(o.peerNetns, o.gateway, o.hostname)) !== o.ip) {
    if (performance.now() - t0 > 30_000) throw new Error(`${o.hostname} did not resolve to ${o.ip} within 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { run, running, resolved: performance.now() - t0 };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Waits until the agent with state directory `stateDir` holds container `id` in its saved model and
 * has written `conflist` (the runtime cannot start a container on a network it does not know), then
 * writes the container's environment with `weft-agent env` into `envFile`; returns what it wrote.
 */
export async function agentReady(stateDir: string, id: string, conflist: string, envFile: string, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (!(loadLastKnownGood(stateDir)?.networks.some((n) => n.containers.some((c) => c.id === id)) && existsSync(conflist))) {
    if (Date.now() > end) throw new Error(`the agent of ${stateDir} did not hold ${id} (and ${conflist}) within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const text = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), ['agent/main.ts', 'env', id, '--state-dir', stateDir], { cwd: ROOT, encoding: 'utf8' });
  writeFileSync(envFile, text);
  return text;
}
