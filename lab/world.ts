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
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExecRunner } from '../agent/exec/runner.ts';
import { enroll } from '../agent/enroll.ts';
import { request } from '../agent/dns/control.ts';
import { attachContainer } from '../agent/runtime/client.ts';
import type { AttachResult } from '../agent/runtime/env.ts';
import { parseConfig } from '../src/config.ts';
import { signToken } from '../src/auth/jwt.ts';
import { loadSigningKeys } from '../src/auth/keys.ts';
import { startNodeServer, type RunningServer } from '../src/node/server.ts';
import { Lab, sleep } from './netns-lab.ts';

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
  hostname: string;
  host: number;
  env: Record<string, string>;
}

export class World {
  readonly lab: Lab;
  readonly hosts: WorldHost[] = [];
  api!: RunningServer;
  admin = '';
  private readonly dnsPids = new Set<number>();
  private containerSeq = 0;
  private readonly etcNetns: string[] = [];

  constructor(
    prefix: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.lab = new Lab(prefix);
  }

  /** Underlay, hosts with wireguard-go, the API, and one enrolled agent per host. */
  async up(hostCount = 3, env: Record<string, string> = {}): Promise<void> {
    await this.lab.up(hostCount);
    const dbDir = join(this.lab.dir, 'api');
    mkdirSync(dbDir, { recursive: true });
    const config = parseConfig({ DATABASE_URL: `file:${join(dbDir, 'weft.db')}`, PORT: '0', FEED_POLL_MS: '500', AUTH_HS256_SECRET: `lab-${this.lab.prefix}-`.padEnd(40, 'x'), ...env });
    this.api = await startNodeServer(config, this.log);
    this.admin = await signToken(await loadSigningKeys(config.auth), config.auth, { kind: 'admin', sub: 'lab' }, 3600);
    for (const h of this.lab.hosts) {
      const stateDir = join(this.lab.dir, `state-${h.n}`);
      const runner = createExecRunner();
      const enrolled = await enroll({ apiUrl: this.api.url, adminToken: this.admin, name: `${this.lab.prefix}-host-${h.n}`, endpoint: `${h.underlay}:51820`, stateDir, runner });
      this.hosts.push({ n: h.n, ns: h.ns, hostId: enrolled.hostId, stateDir, agent: null, agentLog: '' });
      await this.startAgent(h.n);
    }
  }

  /** Starts (or restarts) the weft-agent process of host `n`. */
  async startAgent(n: number): Promise<void> {
    const host = this.hosts[n - 1];
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['agent/main.ts', 'run'], {
      cwd: ROOT,
      env: {
        ...process.env,
        WEFT_API_URL: this.api.url,
        WEFT_STATE_DIR: host.stateDir,
        WEFT_PREFIX: this.lab.hosts[n - 1].names.prefix,
        WEFT_WG_MODE: 'external',
        WEFT_HOST_NETNS: host.ns,
        WEFT_DNS_UPSTREAMS: '127.0.0.1:9', // the lab never resolves outside names
        WEFT_RESYNC_MS: '5000',
        WEFT_DEBOUNCE_MS: '20',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    host.agent = child;
    host.agentLog = '';
    child.stdout!.on('data', (d) => (host.agentLog += d));
    child.stderr!.on('data', (d) => (host.agentLog += d));
    for (let i = 0; i < 300 && !host.agentLog.includes('attach API on'); i++) {
      if (child.exitCode !== null) throw new Error(`agent ${n} exited: ${host.agentLog}`);
      await sleep(50);
    }
    if (!host.agentLog.includes('attach API on')) throw new Error(`agent ${n} did not start: ${host.agentLog}`);
    const pong = await request<{ pid: number }>(join(host.stateDir, 'dns.sock'), { op: 'ping' }).catch(() => null);
    if (pong) this.dnsPids.add(pong.pid);
  }

  /** Stops host `n`'s agent by PID (the data plane and DNS daemon stay, by design). */
  async stopAgent(n: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.hosts[n - 1].agent;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, signal);
    } catch {}
    await Promise.race([exited, sleep(5000)]);
  }

  /** GraphQL against the API as admin; throws on errors. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const r = await fetch(`${this.api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.admin}` }, body: JSON.stringify({ query, variables }) });
    const body = (await r.json()) as { data: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  /** A project with one application and the given process types; returns their ids. */
  async project(name: string, processTypes: string[]): Promise<{ projectId: string; networkId: string; appId: string }> {
    const p = await this.gql(`mutation($n: String!) { createProject(input: { name: $n }) { project { id network { id } } } }`, { n: name });
    const a = await this.gql(`mutation($p: ID!, $t: [String!]) { createApplication(input: { projectId: $p, name: "app", processTypes: $t }) { application { id } } }`, { p: p.createProject.project.id, t: processTypes });
    return { projectId: p.createProject.project.id, networkId: p.createProject.project.network.id, appId: a.createApplication.application.id };
  }

  /** The tiny runtime: allocate via the API, make a namespace, attach it through the agent, mark RUNNING. */
  async runContainer(appId: string, processType: string, host: number, opts: { markRunning?: boolean } = {}): Promise<WorldContainer> {
    const c = await this.gql(`mutation($a: ID!, $t: String!, $h: ID!) { createContainer(input: { applicationId: $a, processType: $t, hostId: $h }) { container { id ip hostname } } }`, {
      a: appId,
      t: processType,
      h: this.hosts[host - 1].hostId,
    });
    const { id, ip, hostname } = c.createContainer.container;
    const name = `${++this.containerSeq}`;
    const netnsPath = this.lab.container(name);
    const socket = join(this.hosts[host - 1].stateDir, 'attach.sock');
    let result: AttachResult | null = null;
    for (let i = 0; i < 100 && !result; i++) {
      result = await attachContainer(socket, id, netnsPath).catch((e) => {
        if (i === 99) throw e;
        return null;
      });
      if (!result) await sleep(50); // the agent has not seen the container in its feed yet
    }
    // like a real runtime: the container's resolv.conf points at its network's resolver
    // (`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf)
    mkdirSync(`/etc/netns/${this.lab.containerNs(name)}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.lab.containerNs(name)}/resolv.conf`, `${result!.resolvConf}\noptions timeout:1 attempts:2\n`);
    this.etcNetns.push(`/etc/netns/${this.lab.containerNs(name)}`);
    if (opts.markRunning !== false) await this.gql(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id });
    return { id, ns: this.lab.containerNs(name), ip, hostname, host, env: result!.env };
  }

  /** Waits until every agent reported the API's head revision (convergence), or throws. */
  async converged(networkId: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const c = await this.gql(`query($n: ID!) { network(id: $n) { convergence { converged } } }`, { n: networkId });
      if (c.network.convergence.converged) return;
      await sleep(50);
    }
    throw new Error(`network ${networkId} did not converge in ${timeoutMs} ms`);
  }

  /** Stops agents, DNS daemons and the API, then removes every namespace of the lab. Never throws. */
  async destroy(): Promise<void> {
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
    await this.api?.close().catch(() => {});
    for (const dir of this.etcNetns) rmSync(dir, { recursive: true, force: true });
    await this.lab.destroy();
  }
}
