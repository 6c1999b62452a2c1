/**
 * End to end, as root: a real container runtime (Debian's podman 4.3, CNI backend, runc) joins Weft
 * networks through weft-cni, on the 3-host lab with real agents (docs/cni.md).
 * - The agents write one conflist per network (--cni-conf-dir); host 2 also has a hand-written
 *   conflist chaining the stock `tuning` and `portmap` plugins after weft-cni.
 * - Containers are created in the API first (the scheduler's half), then started by podman with
 *   `--mac-address` (host 1), `--ip` (host 2, chained) or `--name ctr-…` (beta), and their
 *   environment comes from `weft-agent env` through `--env-file`.
 * - Checks: names resolve and TCP and UDP flow between the two hosts; another project's container
 *   reaches nothing; an agent restart and `podman network reload` keep the container connected;
 *   `podman rm` leaves no veth, attachment or podman namespace, and the API's removal of the host's
 *   last container of a network removes its conflist.
 * - Prints p50/p99 of `podman run` → a peer resolving the new name, over 20 runs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Allocated, World } from '../../lab/world.ts';
import { callAgent } from '../../cni/client.ts';
import { runPlugin } from '../../cni/plugin.ts';
import { sleep } from '../support/netns-lab.ts';
import { agentReady, HostPodman, installWeftCni, makeRootfs, percentile, type RunTiming, runToResolvable } from '../support/podman.ts';
import { describeRoot } from '../support/root.ts';

const RUNS = 20;

describeRoot(
  'end to end: podman joins Weft networks through weft-cni',
  () => {
    const world = new World('wc');
    const dir = mkdtempSync(join(tmpdir(), 'weft-podman-'));
    const pluginDir = join(dir, 'cni-bin');
    const rootfs = join(dir, 'rootfs');
    const confDir = (n: number) => join(dir, `net.d-${n}`);
    const pod: HostPodman[] = [];
    let alpha: { projectId: string; networkId: string; appId: string };
    let beta: { projectId: string; networkId: string; appId: string };
    let gateway = '';
    let a: Allocated; // host 1, --mac-address
    let b: Allocated; // host 2, chained conflist, --ip
    let other: Allocated; // host 1, project beta
    const socket = (n: number) => join(world.hosts[n - 1].stateDir, 'attach.sock');
    const conflist = (n: number, networkId: string) => join(confDir(n), `weft-${networkId}.conflist`);

    /** Waits until host n's agent holds the container and its conflist; writes its `weft-agent env` file and returns the path. */
    async function ready(n: number, c: Allocated): Promise<string> {
      const envFile = join(dir, `${c.id}.env`);
      await agentReady(world.hosts[n - 1].stateDir, c.id, conflist(n, networkOf(c)), envFile);
      return envFile;
    }
    const networks = new Map<string, string>();
    const networkOf = (c: Allocated) => networks.get(c.id)!;
    const allocate = async (p: { networkId: string; appId: string }, host: number) => {
      const c = await world.allocate(p.appId, 'web', host);
      networks.set(c.id, p.networkId);
      return c;
    };

    beforeAll(async () => {
      try {
        makeRootfs(rootfs);
        installWeftCni(pluginDir);
        // IPv6 off in every namespace podman creates would need a sysctl per container; Weft's are IPv4 only and
        // the sandbox already disables IPv6, so nothing here depends on it.
        world.agentEnv = (n) => ({ WEFT_CNI_CONF_DIR: confDir(n) });
        await world.up(3);
        for (const h of world.hosts) pod.push(new HostPodman(join(dir, `podman-${h.n}`), h.ns, confDir(h.n), pluginDir));
        alpha = await world.project('alpha', ['web']);
        beta = await world.project('beta', ['web']);
        gateway = (await world.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: alpha.networkId })).network.gateway;
        a = await allocate(alpha, 1);
        b = await allocate(alpha, 2);
        other = await allocate(beta, 1);
        // host 2: a conflist chaining the stock tuning and portmap plugins after weft-cni
        writeFileSync(
          join(confDir(2), '10-alpha-chained.conflist'),
          JSON.stringify({
            cniVersion: '1.0.0',
            name: 'alpha-chained',
            plugins: [
              { type: 'weft-cni', network: alpha.networkId, socket: socket(2) },
              { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_ignore': '1' } },
              { type: 'portmap', capabilities: { portMappings: true } },
            ],
          }),
        );
        await pod[0].run(a.id, rootfs, ['--network', alpha.networkId, '--mac-address', a.mac, '--env-file', await ready(1, a)]);
        await pod[1].run(b.id, rootfs, ['--network', 'alpha-chained', '--ip', b.ip, '--env-file', await ready(2, b)]);
        await ready(1, other);
        await pod[0].run(other.id, rootfs, ['--network', beta.networkId]); // found by its name, ctr-…
        for (const c of [a, b, other]) await world.markRunning(c.id);
        await world.converged(alpha.networkId);
        await world.converged(beta.networkId);
      } catch (error) {
        for (const p of pod) await p.cleanup();
        await world.destroy();
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }, 240_000);

    afterAll(async () => {
      for (const p of pod) await p.cleanup();
      await world.destroy();
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('gives each container its interface, address, MTU and resolver, and the chained plugins ran', async () => {
      const ipA = await pod[0].exec(a.id, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      expect(ipA).toContain(`inet ${a.ip}/22`);
      expect(await pod[0].exec(a.id, ['cat', '/sys/class/net/eth0/address'])).toBe(`${a.mac}\n`);
      expect(await pod[0].exec(a.id, ['cat', '/sys/class/net/eth0/mtu'])).toBe('1370\n');
      expect(await pod[0].exec(a.id, ['cat', '/etc/resolv.conf'])).toMatch(new RegExp(`^nameserver ${gateway.replace(/\./g, '\\.')}$`, 'm'));
      expect(await pod[1].exec(b.id, ['cat', '/sys/class/net/eth0/address'])).toBe(`${b.mac}\n`); // --ip found it: the API's MAC
      expect(await pod[1].exec(b.id, ['cat', '/proc/sys/net/ipv4/conf/eth0/arp_ignore'])).toBe('1\n'); // tuning, after weft-cni
      // the environment from `weft-agent env`, as the API has it
      const env = await pod[0].exec(a.id, ['env']);
      const api = await world.gql(`query($id: ID!) { container(id: $id) { environment { name value } } }`, { id: a.id });
      for (const { name, value } of api.container.environment) expect(env).toContain(`${name}=${value}\n`);
    });

    it('resolves the other host’s container by its private name and exchanges TCP and UDP on an arbitrary port', async () => {
      expect(await pod[0].exec(a.id, ['nslookup', b.hostname])).toMatch(new RegExp(`Address: ${b.ip.replace(/\./g, '\\.')}$`, 'm'));
      expect(await pod[1].exec(b.id, ['nslookup', a.hostname])).toMatch(new RegExp(`Address: ${a.ip.replace(/\./g, '\\.')}$`, 'm'));
      // TCP with busybox nc inside the containers
      expect(await tcp(pod[1], b.id, pod[0], a.id, b.ip, 23456)).toBe(`tcp-23456\n`);
      // UDP (busybox nc has none): the machine's netcat inside the containers' network namespaces
      const nsA = await pod[0].netns(a.id);
      const nsB = await pod[1].netns(b.id);
      const got = udpOnce(nsB, 34567);
      await sleep(300);
      execFileSync('nsenter', [`--net=${nsA}`, 'sh', '-c', `echo udp-from-a | nc -u -w1 ${b.ip} 34567`]);
      expect(await got).toBe('udp-from-a\n');
    });

    it('another project’s container on the same host reaches nothing of alpha and resolves none of its names', async () => {
      await pod[1].podman(['exec', '-d', b.id, 'sh', '-c', 'nc -l -p 23457 > /run/got-from-beta']);
      await sleep(300);
      await expect(pod[0].exec(other.id, ['sh', '-c', `echo leak | nc -w 2 ${b.ip} 23457`])).rejects.toThrow();
      await expect(pod[0].exec(other.id, ['nslookup', b.hostname])).rejects.toThrow();
      expect(await pod[1].exec(b.id, ['cat', '/run/got-from-beta'])).toBe('');
    });

    it('stays connected across an agent restart and a podman network reload', async () => {
      await world.stopAgent(2);
      await world.startAgent(2);
      expect(await tcp(pod[1], b.id, pod[0], a.id, b.ip, 23458)).toBe('tcp-23458\n');
      await pod[1].podman(['network', 'reload', b.id]);
      expect(await tcp(pod[1], b.id, pod[0], a.id, b.ip, 23459)).toBe('tcp-23459\n');
      expect(await pod[1].exec(b.id, ['nslookup', a.hostname])).toContain(a.ip);
      const attached = await callAgent<Record<string, unknown>>(socket(2), 'GET', '/v1/attachments');
      expect(Object.keys(attached)).toEqual([b.id]);
    });

    it('an ADD repeated after a runtime crash repairs nothing and answers the same; CHECK, GC and STATUS pass; DEL with the agent stopped succeeds', async () => {
      // the runtime lost its bookkeeping after ADD and runs it again, same container, namespace and interface
      const id = (await pod[1].podman(['inspect', '--format', '{{.Id}}', b.id])).trim();
      const netns = await pod[1].netns(b.id);
      const stdin = JSON.stringify({ cniVersion: '1.0.0', name: 'alpha-chained', type: 'weft-cni', network: alpha.networkId, socket: socket(2) });
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_ARGS: `IgnoreUnknown=1;IP=${b.ip}` };
      const again = await runPlugin(env, stdin);
      expect(again.exitCode).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ interfaces: [{ name: 'eth0', mac: b.mac, sandbox: netns }], ips: [{ address: `${b.ip}/22` }] });
      expect(await tcp(pod[1], b.id, pod[0], a.id, b.ip, 23460)).toBe('tcp-23460\n');
      // CHECK and GC (podman 4.3 calls neither): against the real kernel, as a runtime with libcni ≥ 1.2 would
      const v11 = JSON.stringify({ ...JSON.parse(stdin), cniVersion: '1.1.0' });
      const prevResult = JSON.parse(again.stdout);
      expect(await runPlugin({ ...env, CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...JSON.parse(v11), prevResult }))).toEqual({ stdout: '', exitCode: 0 });
      const valid = { 'cni.dev/valid-attachments': [{ containerID: id, ifname: 'eth0' }] };
      expect(await runPlugin({ CNI_COMMAND: 'GC', CNI_PATH: pluginDir }, JSON.stringify({ ...JSON.parse(v11), ...valid }))).toEqual({
        stdout: '',
        exitCode: 0,
      });
      expect(await runPlugin({ CNI_COMMAND: 'STATUS', CNI_PATH: pluginDir }, v11)).toEqual({ stdout: '', exitCode: 0 });

      // a container removed while its host's agent is down: podman's DEL succeeds, the agent forgets it when it starts
      const c = await allocate(alpha, 2);
      await pod[1].run(c.id, rootfs, ['--network', alpha.networkId, '--mac-address', c.mac, '--env-file', await ready(2, c)]);
      expect(Object.keys(await callAgent<Record<string, unknown>>(socket(2), 'GET', '/v1/attachments')).sort()).toEqual([b.id, c.id].sort());
      await world.stopAgent(2);
      await pod[1].remove(c.id);
      await world.startAgent(2);
      expect(Object.keys(await callAgent<Record<string, unknown>>(socket(2), 'GET', '/v1/attachments'))).toEqual([b.id]);
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
      expect(await tcp(pod[1], b.id, pod[0], a.id, b.ip, 23461)).toBe('tcp-23461\n');
    });

    it(`times podman run → a peer resolving the new name (p50/p99 over ${RUNS} runs), leaving nothing behind each time`, async () => {
      const nsA = await pod[0].netns(a.id);
      const sandbox = `wc2pn-${(await world.gql(`query($n: ID!) { network(id: $n) { vni } }`, { n: alpha.networkId })).network.vni}`;
      const veths = () => execFileSync('ip', ['-n', sandbox, '-o', 'link', 'show'], { encoding: 'utf8' }).match(/wc2pnc-[0-9a-f]+/g) ?? [];
      const vethsBefore = veths();
      const netnsBefore = readdirSync('/run/netns')
        .filter((n) => n.startsWith('netns-'))
        .sort();
      const t: RunTiming[] = [];
      for (let i = 0; i < RUNS; i++) {
        const c = await allocate(alpha, 2);
        const envFile = await ready(2, c);
        t.push(
          await runToResolvable({
            pod: pod[1],
            id: c.id,
            runOpts: ['--network', alpha.networkId, '--mac-address', c.mac, '--env-file', envFile],
            rootfs,
            markRunning: () => world.markRunning(c.id),
            peerNetns: nsA,
            gateway,
            hostname: c.hostname,
            ip: c.ip,
          }),
        );
        await pod[1].podman(['stop', '-t', '0', c.id]);
        await pod[1].remove(c.id);
        await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: c.id });
        // nothing left: no veth in the sandbox, no attachment, no namespace of podman's
        expect(veths()).toEqual(vethsBefore);
        expect(Object.keys(await callAgent<Record<string, unknown>>(socket(2), 'GET', '/v1/attachments'))).toEqual([b.id]);
        expect(
          readdirSync('/run/netns')
            .filter((n) => n.startsWith('netns-'))
            .sort(),
        ).toEqual(netnsBefore);
      }
      const p = (k: keyof RunTiming, q: number) =>
        percentile(
          t.map((x) => x[k]),
          q,
        ).toFixed(0);
      console.log(
        `[e2e] podman run → peer resolves, ${RUNS} runs: p50 ${p('resolved', 50)} ms, p99 ${p('resolved', 99)} ms; p50 of podman run returning ${p('run', 50)} ms, of RUNNING in the API ${p('running', 50)} ms`,
      );
      expect(t).toHaveLength(RUNS);
    }, 300_000);

    it('podman rm leaves nothing; removing the host’s last container of a network removes its conflist', async () => {
      const nsBefore = await pod[0].netns(other.id);
      await pod[0].podman(['stop', '-t', '0', other.id]);
      await pod[0].remove(other.id);
      expect(existsSync(nsBefore)).toBe(false);
      expect(Object.keys(await callAgent<Record<string, unknown>>(socket(1), 'GET', '/v1/attachments'))).toEqual([a.id]);
      expect(existsSync(conflist(1, beta.networkId))).toBe(true); // the API still has the container on host 1
      await world.gql(`mutation($id: ID!) { removeContainer(id: $id) { revision } }`, { id: other.id });
      await world.converged(beta.networkId);
      for (let i = 0; i < 100 && existsSync(conflist(1, beta.networkId)); i++) await sleep(50);
      expect(existsSync(conflist(1, beta.networkId))).toBe(false);
      expect(readdirSync(confDir(1)).filter((f) => f.endsWith('.conflist'))).toEqual([`weft-${alpha.networkId}.conflist`]);
      const status = await callAgent<{ ready: boolean; networks: Record<string, { ready: boolean }> }>(socket(1), 'GET', '/v1/status');
      expect(status).toMatchObject({ ready: true, networks: { [alpha.networkId]: { ready: true } } });
      expect(status.networks[beta.networkId]).toBeUndefined();
      expect(JSON.parse(readFileSync(conflist(1, alpha.networkId), 'utf8')).plugins[0]).toMatchObject({ type: 'weft-cni', socket: socket(1) });
    });
  },
  { tools: ['podman', 'runc', 'busybox', 'nsenter', 'dig', 'nc', 'wireguard-go'] },
);

/** A one-shot TCP server in container `server` (busybox nc) answering `tcp-<port>`, and what container `client` reads from it. */
async function tcp(serverPod: HostPodman, server: string, clientPod: HostPodman, client: string, ip: string, port: number): Promise<string> {
  await serverPod.podman(['exec', '-d', server, 'sh', '-c', `echo tcp-${port} | nc -l -p ${port}`]);
  await sleep(300);
  return clientPod.exec(client, ['nc', '-w', '3', ip, String(port)]);
}

/** Receives one UDP datagram on `port` inside `netnsPath` (the machine's netcat); resolves with its text. */
function udpOnce(netnsPath: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    execFile('timeout', ['5', 'nsenter', `--net=${netnsPath}`, 'nc', '-u', '-l', '-W', '1', String(port)], (_e, out) => resolve(out));
  });
}
