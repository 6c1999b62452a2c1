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
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** `weft-cni` in `binDir`: a shim running this checkout's cni/main.ts with the project's Node 24. */
export function installWeftCni(binDir: string): string {
  mkdirSync(binDir, { recursive: true });
  const path = join(binDir, 'weft-cni');
  writeFileSync(path, `#!/bin/sh\nexec "${join(ROOT, 'node_modules/.bin/node')}" "${join(ROOT, 'cni/main.ts')}"\n`, { mode: 0o755 });
  return path;
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
