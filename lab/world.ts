/**
 * A whole Weft on one machine, for the end-to-end suite and `npm run demo`: the control API on Node
 * with an embedded database, N hosts as network namespaces on a private underlay with wireguard-go,
 * a real `weft-agent` process per host, and a tiny container runtime (containers are namespaces
 * attached through the agent's attach API, receiving the environment it returns).
 *
 * Everything it creates carries its lab prefix and is removed by `destroy()`; it ends only the
 * processes it started (agents, DNS daemons, wireguard-go), by PID. Traffic stays inside its
 * namespaces and loopback.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExecRunner } from '../agent/exec/runner.ts';
import { enroll } from '../agent/enroll.ts';
import { request } from '../agent/dns/control.ts';
import { attachContainer } from '../agent/runtime/client.ts';
import type { AttachResult } from '../agent/runtime/env.ts';
import { type Config, parseConfig } from '../src/config.ts';
import { signToken } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { startNodeServer, type RunningServer } from '../src/node/server.ts';
import { startApiProcess } from '../test/support/api-process.ts';
import { inNs, Lab, sleep } from '../test/support/netns-lab.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface WorldHost {
  n: number;
  ns: string;
  hostId: string;
  stateDir: string;
  agent: ChildProcess | null;
  agentLog: string;
}

export interface WorldContainer {
  id: string;
  ns: string;
  ip: string;
  mac: string;
  iface: string;
  hostname: string;
  host: number;
  env: Record<string, string>;
}

/** A container the API allocated but no runtime attached yet. */
export interface Allocated {
  id: string;
  ip: string;
  mac: string;
  hostname: string;
  host: number;
}

/** Called with every process the world starts (the demo keeps a PID file for crash recovery). */
export type ProcessHook = (pid: number, what: string) => void;

export class World {
  readonly lab: Lab;
  readonly hosts: WorldHost[] = [];
  api!: RunningServer;
  admin = '';
  /** The first API's config: its database file and (once started) its port. */
  apiConfig!: Config;
  private readonly extraApis: RunningServer[] = [];
  private readonly dnsPids = new Set<number>();
  private readonly children = new Set<ChildProcess>();
  private containerSeq = 0;
  private readonly etcNetns: string[] = [];
  /** Extra environment of host `n`'s agent (e.g. WEFT_CNI_CONF_DIR); read each time an agent starts. */
  agentEnv: (n: number) => Record<string, string> = () => ({});
  /**
   * The checkout the agents (and an API process) run from: this one, or another revision's tree
   * (bench/baseline.ts) for before/after benchmarks. Set before `up()`.
   */
  root = ROOT;
  /**
   * Run the first API as a child process of `root` (test/support/api-process.ts) instead of inside
   * this process; always so when `root` is another checkout. `startApi` and `startExtraApi` stay
   * in-process only.
   */
  apiProcess = false;

  constructor(
    prefix: string,
    private readonly log: (line: string) => void = () => {},
    private readonly onProcess: ProcessHook = () => {},
  ) {
    this.lab = new Lab(prefix);
  }

  /** Underlay, hosts with wireguard-go, the API, and one enrolled agent per host. */
  async up(hostCount = 3, env: Record<string, string> = {}): Promise<void> {
    this.removeStaleEtcNetns();
    await this.lab.up(hostCount);
    for (const h of this.lab.hosts) if (h.wg?.pid) this.onProcess(h.wg.pid, `wireguard-go ${h.names.wg}`);
    const dbDir = join(this.lab.dir, 'api');
    mkdirSync(dbDir, { recursive: true });
    const apiEnv = {
      DATABASE_URL: `file:${join(dbDir, 'weft.db')}`,
      FEED_POLL_MS: '500',
      AUTH_HS256_SECRET: `lab-${this.lab.prefix}-`.padEnd(40, 'x'),
      ...env,
    };
    const config = parseConfig({ PORT: '0', ...apiEnv });
    if (this.apiProcess || this.root !== ROOT) {
      const proc = await startApiProcess(apiEnv, { root: this.root, endWithThisProcess: true });
      this.api = { url: proc.url, port: Number(new URL(proc.url).port), close: () => proc.stop('SIGTERM', 5000) };
      this.onProcess(proc.pid, `weft API of ${this.root === ROOT ? 'this checkout' : this.root}`);
    } else this.api = await startNodeServer(config, this.log);
    this.apiConfig = { ...config, port: this.api.port };
    this.admin = await signToken(await loadSigningKeys(config.auth), config.auth, { kind: 'admin', sub: 'lab' }, 3600);
    for (const h of this.lab.hosts) {
      const stateDir = join(this.lab.dir, `state-${h.n}`);
      const runner = createExecRunner();
      const enrolled = await enroll({
        apiUrl: this.api.url,
        adminToken: this.admin,
        name: `${this.lab.prefix}-host-${h.n}`,
        endpoint: `${h.underlay}:51820`,
        stateDir,
        runner,
      });
      this.hosts.push({ n: h.n, ns: h.ns, hostId: enrolled.hostId, stateDir, agent: null, agentLog: '' });
      await this.startAgent(h.n);
    }
  }

  /** Starts (or restarts) the weft-agent process of host `n`. */
  async startAgent(n: number): Promise<void> {
    const host = this.hosts[n - 1];
    const child = spawn(join(this.root, 'node_modules/.bin/tsx'), ['agent/main.ts', 'run'], {
      cwd: this.root,
      env: {
        ...process.env,
        WEFT_API_URL: this.api.url,
        WEFT_STATE_DIR: host.stateDir,
        WEFT_PREFIX: this.lab.hosts[n - 1].names.prefix,
        WEFT_WG_MODE: 'external',
        WEFT_HOST_NETNS: host.ns,
        WEFT_DNS_UPSTREAMS: '127.0.0.1:9', // the lab never resolves outside names
        WEFT_RESYNC_MS: '5000',
        ...this.agentEnv(n),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    host.agent = child;
    host.agentLog = '';
    if (child.pid) this.onProcess(child.pid, `weft-agent ${this.lab.hosts[n - 1].names.prefix} (process group)`);
    child.stdout!.on('data', (d) => (host.agentLog += d));
    child.stderr!.on('data', (d) => (host.agentLog += d));
    for (let i = 0; i < 300 && !host.agentLog.includes('attach API on'); i++) {
      if (child.exitCode !== null) throw new Error(`agent ${n} exited: ${host.agentLog}`);
      await sleep(50);
    }
    if (!host.agentLog.includes('attach API on')) throw new Error(`agent ${n} did not start: ${host.agentLog}`);
    const pong = await request<{ pid: number }>(join(host.stateDir, 'dns.sock'), { op: 'ping' }).catch(() => null);
    if (pong && !this.dnsPids.has(pong.pid)) {
      this.dnsPids.add(pong.pid);
      this.onProcess(pong.pid, `weft DNS daemon of host ${n}`);
    }
  }

  /** Stops host `n`'s agent by PID (the data plane and DNS daemon stay, by design). */
  async stopAgent(n: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.hosts[n - 1].agent;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, signal);
      process.kill(-child.pid!, 'SIGCONT'); // a paused agent (pauseAgent) acts on the signal only once continued
    } catch {}
    await Promise.race([exited, sleep(5000)]);
  }

  /** Host `n` dies: its agent and its WireGuard process stop (its DNS daemon, detached, stays). */
  async killHost(n: number): Promise<void> {
    await this.stopAgent(n);
    const wg = this.lab.hosts[n - 1].wg;
    if (!wg || wg.exitCode !== null || wg.signalCode !== null) return;
    const exited = new Promise((r) => wg.once('exit', r));
    process.kill(wg.pid!, 'SIGTERM');
    await exited;
  }

  /** Host `n` comes back after `killHost`: WireGuard, then its agent. */
  async reviveHost(n: number): Promise<void> {
    await this.lab.startWg(this.lab.hosts[n - 1]);
    if (this.lab.hosts[n - 1].wg?.pid) this.onProcess(this.lab.hosts[n - 1].wg!.pid!, `wireguard-go ${this.lab.hosts[n - 1].names.wg}`);
    await this.startAgent(n);
  }

  /** `weft-agent <argv>` as an operator runs it on host `n` (its state directory holds the attach socket). */
  agentCommand(n: number, argv: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        join(this.root, 'node_modules/.bin/tsx'),
        ['agent/main.ts', ...argv, '--state-dir', this.hosts[n - 1].stateDir],
        { cwd: this.root, timeout: timeoutMs },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /**
   * Freezes host `n`'s agent (SIGSTOP to its process group, which holds the commands it runs) until
   * `resumeAgent(n)`, for a test whose drift must last: the agent repairs drift on every resync pass
   * (5 s in the lab), so drift made on purpose may otherwise vanish part-way through the test's
   * traffic. Resolves once every process of the group is stopped. The DNS daemon, detached, keeps running.
   */
  async pauseAgent(n: number): Promise<void> {
    const pgid = this.hosts[n - 1].agent?.pid;
    if (!pgid) throw new Error(`agent ${n} is not running`);
    process.kill(-pgid, 'SIGSTOP');
    for (let i = 0; i < 200 && !groupStopped(pgid); i++) await sleep(10);
    if (!groupStopped(pgid)) throw new Error(`agent ${n} (process group ${pgid}) did not stop`);
  }

  /** Continues an agent frozen by `pauseAgent`; an overdue resync pass then runs at once. */
  resumeAgent(n: number): void {
    const pgid = this.hosts[n - 1].agent?.pid;
    if (pgid) process.kill(-pgid, 'SIGCONT');
  }

  /** GraphQL as admin against the first API, or against `url` (another API process); throws on errors. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}, url = this.api.url): Promise<T> {
    const r = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.admin}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as { data: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  /** Stops the first API server (agents keep pointing at its URL and retry). */
  async stopApi(): Promise<void> {
    await this.api.close();
  }

  /** Starts the first API again on the same port, on its database file or another one (`databaseUrl`). */
  async startApi(databaseUrl = this.apiConfig.databaseUrl): Promise<void> {
    this.api = await startNodeServer({ ...this.apiConfig, databaseUrl }, this.log);
    // This process's fetch may hold a kept-alive socket to the previous server on the same port: the
    // first request on it fails ("other side closed") and drops it. Spend that on /healthz.
    for (let i = 0; i < 3; i++)
      if (
        await fetch(`${this.api.url}/healthz`).then(
          () => true,
          () => false,
        )
      )
        break;
  }

  /** Another API process on the same database (any free port); closed by `destroy()`. */
  async startExtraApi(): Promise<RunningServer> {
    const server = await startNodeServer({ ...this.apiConfig, port: 0 }, this.log);
    this.extraApis.push(server);
    return server;
  }

  /** A project with one application and the given process types (and network switches); returns their ids. */
  async project(
    name: string,
    processTypes: string[],
    network: { multicast?: 'ON' | 'OFF'; ipv6?: 'ON' | 'OFF' } = {},
  ): Promise<{ projectId: string; networkId: string; appId: string }> {
    const p = await this.gql(`mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id network { id } } } }`, { i: { name, ...network } });
    const appId = await this.application(p.createProject.project.id, 'app', processTypes);
    return { projectId: p.createProject.project.id, networkId: p.createProject.project.network.id, appId };
  }

  /** Another application in a project; returns its id. */
  async application(projectId: string, name: string, processTypes: string[]): Promise<string> {
    const a = await this.gql(
      `mutation($p: ID!, $n: String!, $t: [String!]) { createApplication(input: { projectId: $p, name: $n, processTypes: $t }) { application { id } } }`,
      { p: projectId, n: name, t: processTypes },
    );
    return a.createApplication.application.id;
  }

  /** The scheduler's half: the API allocates a container on host `host` (PENDING). */
  async allocate(appId: string, processType: string, host: number, url = this.api.url): Promise<Allocated> {
    const c = await this.gql(
      `mutation($a: ID!, $t: String!, $h: ID!) { createContainer(input: { applicationId: $a, processType: $t, hostId: $h }) { container { id ip mac hostname } } }`,
      {
        a: appId,
        t: processType,
        h: this.hosts[host - 1].hostId,
      },
      url,
    );
    return { ...c.createContainer.container, host };
  }

  /** The scheduler marks a container RUNNING. */
  async markRunning(id: string, url = this.api.url): Promise<void> {
    await this.gql(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id }, url);
  }

  /**
   * The runtime's half: a namespace attached through the host's agent, with its resolv.conf.
   * `beforeAttach` runs once the (still unconnected) namespace exists, before the attach call.
   */
  async attach(c: Allocated, beforeAttach?: (ns: string) => Promise<void>): Promise<WorldContainer> {
    const name = `${++this.containerSeq}`;
    const netnsPath = this.lab.container(name);
    await beforeAttach?.(this.lab.containerNs(name));
    const socket = join(this.hosts[c.host - 1].stateDir, 'attach.sock');
    let result: AttachResult | null = null;
    for (let i = 0; i < 200 && !result; i++) {
      result = await attachContainer(socket, c.id, netnsPath).catch((e) => {
        if (i === 199) throw e;
        return null;
      });
      if (!result) await sleep(50); // the agent has not seen the container in its feed yet
    }
    // like a real runtime: the container's resolv.conf points at its network's resolver
    // (`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf)
    const ns = this.lab.containerNs(name);
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, `${result!.resolvConf}\noptions timeout:1 attempts:2\n`);
    this.etcNetns.push(`/etc/netns/${ns}`);
    return { id: c.id, ns, ip: result!.ip, mac: result!.mac, iface: result!.interface, hostname: c.hostname, host: c.host, env: result!.env };
  }

  /** The tiny runtime: allocate via the API, make a namespace, attach it through the agent, mark RUNNING. */
  async runContainer(appId: string, processType: string, host: number, opts: { markRunning?: boolean } = {}): Promise<WorldContainer> {
    const allocated = await this.allocate(appId, processType, host);
    const c = await this.attach(allocated);
    if (opts.markRunning !== false) await this.markRunning(c.id);
    return c;
  }

  /** Runs `argv` in a container with the environment its runtime got from the agent; returns stdout. */
  exec(c: WorldContainer, argv: string[], input?: string): string {
    return inNs(c.ns, ['env', ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), ...argv], input);
  }

  /**
   * Starts a long-running command in namespace `ns` (its own process group); `destroy()` ends it
   * by PID if it is still running, so nothing outlives the world when a test fails.
   */
  spawnIn(ns: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    if (child.pid)
      this.onProcess(
        child.pid,
        `${argv
          .slice(0, 3)
          .map((a) => a.split('/').at(-1))
          .join(' ')} in ${ns} (process group)`,
      );
    return child;
  }

  /**
   * A common opening for a test: the world with `hostCount` hosts, one project whose app runs one
   * `web` container per host, converged. Destroys the world before rethrowing if any step fails.
   */
  async upWithWebOnEveryHost(
    projectName: string,
    hostCount = 3,
  ): Promise<{ project: { projectId: string; networkId: string; appId: string }; containers: WorldContainer[]; gateway: string }> {
    try {
      await this.up(hostCount);
      const project = await this.project(projectName, ['web']);
      const containers: WorldContainer[] = [];
      for (let host = 1; host <= hostCount; host++) containers.push(await this.runContainer(project.appId, 'web', host));
      await this.converged(project.networkId);
      const gateway: string = (await this.gql(`query($n: ID!) { network(id: $n) { gateway } }`, { n: project.networkId })).network.gateway;
      return { project, containers, gateway };
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  /** Waits until every agent reported the API's head revision (convergence), or throws. */
  async converged(networkId: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const c = await this.gql(`query($n: ID!) { network(id: $n) { convergence { converged } } }`, { n: networkId }).catch(() => null);
      if (c?.network.convergence.converged) return;
      await sleep(50);
    }
    throw new Error(`network ${networkId} did not converge in ${timeoutMs} ms`);
  }

  /** Every PID this world started and still knows of (agents are process groups). */
  pids(): number[] {
    const agents = this.hosts.map((h) => h.agent?.pid).filter((p): p is number => !!p);
    const wg = this.lab.hosts.map((h) => h.wg?.pid).filter((p): p is number => !!p);
    return [...agents, ...wg, ...this.dnsPids, ...[...this.children].map((c) => c.pid!).filter(Boolean)];
  }

  /** Stops agents, DNS daemons, spawned commands and the APIs, then removes every namespace of the lab. Never throws. */
  async destroy(): Promise<void> {
    for (const child of this.children) {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the group we created: `ip netns exec` became the command
      } catch {}
    }
    for (const h of this.hosts) await this.stopAgent(h.n).catch(() => {});
    for (const h of this.hosts) {
      const pong = await request<{ pid: number }>(join(h.stateDir, 'dns.sock'), { op: 'ping' }, 1000).catch(() => null);
      if (pong) this.dnsPids.add(pong.pid);
    }
    for (const pid of this.dnsPids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
    // let the API's feed streams notice their agents are gone before the database closes under them
    if (this.hosts.length) await sleep((this.apiConfig?.feedPollMs ?? 500) + 200);
    for (const server of this.extraApis) await server.close().catch(() => {});
    await this.api?.close().catch(() => {});
    for (const dir of this.etcNetns) rmSync(dir, { recursive: true, force: true });
    await this.lab.destroy();
  }

  /** Resolver files of container namespaces a crashed run of this prefix left in /etc/netns. */
  private removeStaleEtcNetns(): void {
    if (!existsSync('/etc/netns')) return;
    const mine = new RegExp(`^${this.lab.containerNs('')}\\d+$`);
    for (const name of readdirSync('/etc/netns').filter((n) => mine.test(n))) rmSync(join('/etc/netns', name), { recursive: true, force: true });
  }
}

/** True when every live process of process group `pgid` is stopped (state T in /proc/<pid>/stat). */
function groupStopped(pgid: number): boolean {
  const states: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const [state, , , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces
    if (Number(pgrp) === pgid && state !== 'Z') states.push(state);
  }
  return states.length > 0 && states.every((s) => s === 'T');
}
