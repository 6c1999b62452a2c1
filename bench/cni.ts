/**
 * Part `cni` (root): podman through weft-cni on 2 lab hosts (lab/world.ts, prefix `xp`) with real
 * agents writing their conflists (docs/cni.md). A peer container on host 1; then `--runs` (20)
 * times on host 2: the API allocates a container, podman starts it on the agent's conflist with
 * `--mac-address` and `weft-agent env`'s `--env-file`, the scheduler marks it RUNNING, and the
 * time until the peer resolves its name is taken; each container is then removed. Reported: p50
 * and p99 of podman run → resolvable, of `podman run` returning (weft-cni's ADD inside), and the
 * same `podman run` with `--network none` as the baseline the plugin adds to. `--transcript` prints
 * the commands of the first run and their output (the README's podman transcript).
 * Only what it starts is removed (containers, storage, the world); traffic stays in the lab.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../lab/world.ts';
import { agentReady, builtCniIsFresh, HostPodman, installWeftCni, makeRootfs, percentile, type RunTiming, runToResolvable } from '../test/support/podman.ts';
import { rootUnavailable } from '../test/support/root.ts';
import { type BenchRow, arg, rowsOf } from './table.ts';

/** Runs the part; returns its rows. */
export async function benchCni(): Promise<BenchRow[]> {
  const runs = arg('runs', 20);
  const transcript = process.argv.includes('--transcript');
  const row = rowsOf('cni', `sudo npm run bench -- cni --runs ${runs}`);
  const why = rootUnavailable(['podman', 'runc', 'busybox', 'nsenter', 'dig', 'wireguard-go']);
  if (why) return [row(`skipped: ${why}`, NaN, '')];
  const world = new World('xp');
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-cni-'));
  const confDir = (n: number) => join(dir, `net.d-${n}`);
  const pod: HostPodman[] = [];
  let entry: 'build/weft-cni.mjs' | 'cni/main.ts' = 'cni/main.ts';
  try {
    const rootfs = makeRootfs(join(dir, 'rootfs'));
    const pluginDir = join(dir, 'cni-bin');
    // What the package installs when it is built and current (npm run build), else the source.
    entry = builtCniIsFresh() ? 'build/weft-cni.mjs' : 'cni/main.ts';
    installWeftCni(pluginDir, entry);
    console.error(`bench cni: weft-cni runs ${entry}`);
    world.agentEnv = (n) => ({ WEFT_CNI_CONF_DIR: confDir(n) });
    await world.up(2);
    for (const h of world.hosts) pod.push(new HostPodman(join(dir, `podman-${h.n}`), h.ns, confDir(h.n), pluginDir));
    const p = await world.project('bench', ['web']);
    const gateway: string = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: p.networkId })).network.gateway;
    const conflist = (n: number) => join(confDir(n), `weft-${p.networkId}.conflist`);
    const peer = await world.allocate(p.appId, 'web', 1);
    await agentReady(world.hosts[0].stateDir, peer.id, conflist(1), join(dir, 'peer.env'));
    await pod[0].run(peer.id, rootfs, ['--network', p.networkId, '--mac-address', peer.mac, '--env-file', join(dir, 'peer.env')]);
    await world.markRunning(peer.id);
    const peerNetns = await pod[0].netns(peer.id);

    const t: RunTiming[] = [];
    for (let i = 0; i < runs; i++) {
      const c = await world.allocate(p.appId, 'web', 2);
      const envFile = join(dir, `${c.id}.env`);
      await agentReady(world.hosts[1].stateDir, c.id, conflist(2), envFile);
      const runOpts = ['--network', p.networkId, '--mac-address', c.mac, '--env-file', envFile];
      t.push(
        await runToResolvable({
          pod: pod[1],
          id: c.id,
          runOpts,
          rootfs,
          markRunning: () => world.markRunning(c.id),
          peerNetns,
          gateway,
          hostname: c.hostname,
          ip: c.ip,
        }),
      );
      if (transcript && i === 0) await printTranscript(pod[1], c.id, runOpts, envFile, peer.hostname);
      await pod[1].remove(c.id);
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
    }
    // the baseline: the same podman run without any network plugin
    const none: number[] = [];
    for (let i = 0; i < Math.min(runs, 10); i++) {
      const t0 = performance.now();
      await pod[1].run(`baseline-${i}`, rootfs, ['--network', 'none']);
      none.push(performance.now() - t0);
      await pod[1].remove(`baseline-${i}`);
    }
    const q = (k: keyof RunTiming, pct: number) =>
      percentile(
        t.map((x) => x[k]),
        pct,
      );
    const added = q('run', 50) - percentile(none, 50);
    return [
      row('podman run → peer on another host resolves the name, p50', q('resolved', 50), 'ms', '–', 'cni'),
      row('podman run → peer on another host resolves the name, p99', q('resolved', 99), 'ms', '≤ 5,000 ms (Kubernetes pod-startup SLO)', 'cni'),
      row(`podman run --network <weft> returns (weft-cni ADD inside, ${entry}), p50`, q('run', 50), 'ms', '–', 'cni'),
      row('podman run --network none returns (baseline), p50', percentile(none, 50), 'ms', '–', 'cni'),
      row('what weft-cni adds to podman run (difference of the p50s)', added, 'ms', '≤ 1,000 ms', 'cni'),
      row(
        'RUNNING in the API → peer resolves, p50',
        percentile(
          t.map((x) => x.resolved - x.running),
          50,
        ),
        'ms',
        '≤ 1,000 ms',
        'cni',
      ),
    ];
  } finally {
    for (const x of pod) await x.cleanup();
    await world.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the commands of one run and what they answered, with the lab's paths shortened. */
async function printTranscript(pod: HostPodman, id: string, runOpts: string[], envFile: string, peerName: string): Promise<void> {
  const show = (cmd: string, out: string) => console.error(`$ ${cmd}\n${out.trimEnd()}`);
  show(`weft-agent env ${id} > ctr.env && cat ctr.env`, readFileSync(envFile, 'utf8'));
  show('podman network ls', await pod.podman(['network', 'ls']));
  const opts = runOpts.map((o) => (o === envFile ? 'ctr.env' : o)).join(' ');
  show(`podman run -d --name ${id} ${opts} --rootfs ./rootfs sleep 86400`, id);
  show(`podman exec ${id} ip -4 addr show eth0`, await pod.exec(id, ['ip', '-4', 'addr', 'show', 'eth0']));
  show(`podman exec ${id} cat /etc/resolv.conf`, await pod.exec(id, ['cat', '/etc/resolv.conf']));
  show(`podman exec ${id} nslookup ${peerName}`, await pod.exec(id, ['nslookup', peerName]));
  show(`podman exec ${id} sh -c 'env | grep SCALINGO_'`, await pod.exec(id, ['sh', '-c', 'env | grep SCALINGO_']));
}
