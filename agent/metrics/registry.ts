/**
 * The agent's Prometheus metrics (prom-client), served by agent/metrics/server.ts when
 * `--metrics-address` is set. Families, all `weft_`-prefixed (README "Operations"):
 *
 * - events the agent reports as they happen: reconcile passes and their duration, ops applied and
 *   failed by kind, delta→applied latency, the applied revision;
 * - read at scrape time from what the agent holds or can read without changing anything: the
 *   brake and fence, the DNS daemon's per-network counters (its control socket), nftables drop
 *   counters per network and rule, the network policies' flow counters, and the veth counters of
 *   the containers attached on this host.
 *
 * Owns: the registry and the scrape-time reads. Never: changes the kernel (reads only: `nft -j
 * list ruleset`, `ip -j -s link show`, through the one runner). Cardinality: networks of this host,
 * rules of our tables, containers attached here; a sandbox whose read fails is left out of that
 * scrape and counted in weft_agent_scrape_errors_total.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HostConfig } from '../../protocol/model.ts';
import type { Names } from '../config-names.ts';
import type { NetworkMetrics } from '../dns/metrics.ts';
import type { CommandRunner } from '../exec/runner.ts';
import type { PassMode, PassReport } from '../reconcile/reconciler.ts';
import { parseLinkStats, parseNftCounters } from './kernel-counters.ts';

/** What the scrape-time reads need from the running agent. */
export interface AgentSources {
  model(): HostConfig | null;
  /** The containers attached on this host, by id (the values are not read). */
  attachments(): Record<string, unknown>;
  runner: CommandRunner;
  names: Names;
  dnsMetrics(): Promise<Record<string, NetworkMetrics>>;
  /** The safety gate's status (brake and fence), when the agent has one. */
  safety?(): { brake: { objectsHeld: number } | null; fence?: unknown } | null;
}

export interface AgentMetrics {
  registry: Registry;
  /** A reconcile pass ended with this report, having applied the model at `revision`. */
  pass(report: PassReport, revision: number): void;
  /** A reconcile pass (fast or full) threw. */
  passFailed(mode?: PassMode): void;
  /** A delta (or snapshot) carrying `revision` arrived at `at` (ms); the pass that applies it observes the latency. */
  received(revision: number, at?: number): void;
  /** An attach waited for the other hosts' policy sets (docs/policies.md#a-new-container): they held the container, or the bound passed. */
  policySourceWait(outcome: 'ready' | 'timeout'): void;
  /** Starts the scrape-time reads. */
  watch(sources: AgentSources): void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the agent's registry. `now` is injectable for tests. */
export function createAgentMetrics(options: { now?: () => number } = {}): AgentMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  for (const misnamed of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(misnamed);

  const passes = new Counter({
    name: 'weft_agent_reconcile_passes_total',
    help: 'Reconcile passes, by mode (fast: diffed against the last clean pass; full: the kernel read) and outcome (ok, failed)',
    labelNames: ['mode', 'outcome'],
    registers,
  });
  const passSeconds = new Histogram({
    name: 'weft_agent_reconcile_duration_seconds',
    help: 'Duration of a reconcile pass, by mode (fast, full)',
    labelNames: ['mode'],
    buckets: SECONDS,
    registers,
  });
  const ops = new Counter({
    name: 'weft_agent_ops_total',
    help: 'Kernel operations by kind and outcome (applied, failed)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const deltaSeconds = new Histogram({
    name: 'weft_agent_delta_applied_seconds',
    help: 'Time from a change reaching the agent to the end of the pass that applied it',
    buckets: SECONDS,
    registers,
  });
  const revision = new Gauge({ name: 'weft_agent_applied_revision', help: 'Revision of the newest model a reconcile pass applied', registers });
  const scrapeErrors = new Counter({
    name: 'weft_agent_scrape_errors_total',
    help: 'Scrape-time reads that failed (a sandbox left out of one scrape), by source',
    labelNames: ['source'],
    registers,
    async collect() {
      await Promise.all([kernel(), dns()]); // this scrape's reads first, so their errors count now
    },
  });
  for (const mode of ['fast', 'full']) for (const outcome of ['ok', 'failed']) passes.inc({ mode, outcome }, 0);
  const sourceWaits = new Counter({
    name: 'weft_agent_policy_source_waits_total',
    help: "Attaches that waited for the other hosts' policy sets to hold the new container: ready, or answered at the bound (timeout)",
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ['ready', 'timeout']) sourceWaits.inc({ outcome }, 0);

  let sources: AgentSources | null = null;
  const pending: { revision: number; at: number }[] = [];

  new Gauge({
    name: 'weft_agent_brake_engaged',
    help: 'Whether the safety brake holds deletions back (1) or not (0)',
    registers,
    collect() {
      this.set(sources?.safety?.()?.brake ? 1 : 0);
    },
  });
  new Gauge({
    name: 'weft_agent_brake_held_objects',
    help: 'Data-plane objects whose deletion the brake holds',
    registers,
    collect() {
      this.set(sources?.safety?.()?.brake?.objectsHeld ?? 0);
    },
  });
  new Gauge({
    name: 'weft_agent_fenced',
    help: 'Whether the agent refuses changes until an operator accepts a new database generation (1) or not (0)',
    registers,
    collect() {
      this.set(sources?.safety?.()?.fence ? 1 : 0);
    },
  });

  // DNS: absolute counters from the daemon, read at scrape time.
  let dnsRead: { at: number; values: Promise<Record<string, NetworkMetrics> | null> } | null = null;
  const dns = () => {
    if (!sources) return Promise.resolve(null);
    if (!dnsRead || now() - dnsRead.at > 1000)
      dnsRead = {
        at: now(),
        values: sources.dnsMetrics().catch(() => {
          scrapeErrors.inc({ source: 'dns' });
          return null;
        }),
      };
    return dnsRead.values;
  };
  const dnsCounter = (name: string, help: string, pick: (m: NetworkMetrics) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['network'],
      registers,
      async collect() {
        const all = await dns();
        this.reset();
        for (const [network, m] of Object.entries(all ?? {})) this.inc({ network }, pick(m));
      },
    });
  dnsCounter('weft_dns_queries_total', 'DNS queries received, by network', (m) => m.queries);
  dnsCounter('weft_dns_upstream_forwards_total', 'Queries forwarded to an upstream resolver, by network', (m) => m.forwarded);
  dnsCounter('weft_dns_upstream_failures_total', 'Forwarded queries no upstream answered (the client got SERVFAIL), by network', (m) => m.forwardFailed);
  dnsCounter('weft_dns_rate_limited_total', 'Forwards refused by the per-network rate limit, by network', (m) => m.rateLimited);
  new Counter({
    name: 'weft_dns_responses_total',
    help: 'DNS answers by network and rcode',
    labelNames: ['network', 'rcode'],
    registers,
    async collect() {
      const all = await dns();
      this.reset();
      for (const [network, m] of Object.entries(all ?? {})) for (const [rcode, n] of Object.entries(m.rcodes)) this.inc({ network, rcode }, n);
    },
  });

  // Kernel counters: one read per sandbox per scrape, shared by the families below.
  let kernelRead: { at: number; values: Promise<KernelSamples> } | null = null;
  const kernel = () => {
    if (!sources) return Promise.resolve(EMPTY_KERNEL);
    if (!kernelRead || now() - kernelRead.at > 1000) kernelRead = { at: now(), values: readKernel(sources, (source) => scrapeErrors.inc({ source })) };
    return kernelRead.values;
  };
  const nftCounter = (name: string, help: string, field: 'packets' | 'bytes') =>
    new Counter({
      name,
      help,
      labelNames: ['network', 'table', 'rule'],
      registers,
      async collect() {
        const k = await kernel();
        this.reset();
        for (const r of k.rules) if (r.table !== sources?.names.policyTable) this.inc({ network: r.network, table: r.table, rule: r.rule }, r[field]);
      },
    });
  // The policy table's counters (docs/policies.md#counters) count allowed flows too: a family of their own.
  const policyCounter = (name: string, help: string, field: 'packets' | 'bytes') =>
    new Counter({
      name,
      help,
      labelNames: ['network', 'counter'],
      registers,
      async collect() {
        const k = await kernel();
        this.reset();
        for (const r of k.rules) if (r.table === sources?.names.policyTable) this.inc({ network: r.network, counter: r.rule }, r[field]);
      },
    });
  policyCounter(
    'weft_policy_flows_total',
    'New flows counted by the network policy table, by network and counter (rule-<i> allowed, default-deny dropped, would-drop let through in AUDIT)',
    'packets',
  );
  policyCounter('weft_policy_bytes_total', 'Bytes of the new flows counted by the network policy table, by network and counter', 'bytes');
  nftCounter(
    'weft_nft_dropped_packets_total',
    'Packets counted by the named drop rules of our nftables tables, by network (_host for the host table) and rule',
    'packets',
  );
  nftCounter('weft_nft_dropped_bytes_total', 'Bytes counted by the named drop rules of our nftables tables, by network and rule', 'bytes');
  const vethCounter = (name: string, help: string, field: 'Bytes' | 'Packets') =>
    new Counter({
      name,
      help,
      labelNames: ['network', 'container', 'application', 'process_type', 'direction'],
      registers,
      async collect() {
        const k = await kernel();
        this.reset();
        for (const v of k.veths) {
          const base = { network: v.network, container: v.container, application: v.application, process_type: v.processType };
          // The host end of the veth receives what the container transmits.
          this.inc({ ...base, direction: 'transmit' }, v.stats[`rx${field}`]);
          this.inc({ ...base, direction: 'receive' }, v.stats[`tx${field}`]);
        }
      },
    });
  vethCounter(
    'weft_container_veth_bytes_total',
    'Bytes on the veth of each container attached on this host, as the container sent (transmit) or got (receive) them',
    'Bytes',
  );
  vethCounter('weft_container_veth_packets_total', 'Packets on the veth of each container attached on this host', 'Packets');

  return {
    registry,
    pass(report, applied) {
      const mode = report.mode ?? 'full';
      passes.inc({ mode, outcome: 'ok' });
      passSeconds.observe({ mode }, report.durationMs / 1000);
      // report.ops is every op of the pass; those with a failure did not apply.
      const failed = new Set(report.failures.map((f) => f.op));
      const attempted = new Set(report.ops);
      for (const op of report.ops) ops.inc({ kind: op.kind, outcome: failed.has(op) ? 'failed' : 'applied' });
      for (const f of report.failures) if (!attempted.has(f.op)) ops.inc({ kind: f.op.kind, outcome: 'failed' });
      revision.set(applied);
      const t = now();
      while (pending.length && pending[0].revision <= applied) deltaSeconds.observe((t - pending.shift()!.at) / 1000);
    },
    passFailed(mode = 'full') {
      passes.inc({ mode, outcome: 'failed' });
    },
    policySourceWait(outcome) {
      sourceWaits.inc({ outcome });
    },
    received(rev, at = now()) {
      if (pending.length < 10_000 && (!pending.length || pending[pending.length - 1].revision < rev)) pending.push({ revision: rev, at });
    },
    watch(s) {
      sources = s;
    },
  };
}

interface KernelSamples {
  rules: { network: string; table: string; rule: string; packets: number; bytes: number }[];
  veths: {
    network: string;
    container: string;
    application: string;
    processType: string;
    stats: ReturnType<typeof parseLinkStats> extends Map<string, infer S> ? S : never;
  }[];
}

const EMPTY_KERNEL: KernelSamples = { rules: [], veths: [] };

/** Reads the nftables counters of the host table and of every local sandbox, and the veths of attached containers. */
async function readKernel(s: AgentSources, failed: (source: string) => void): Promise<KernelSamples> {
  const model = s.model();
  const out: KernelSamples = { rules: [], veths: [] };
  if (!model) return out;
  const run = async (argv: string[]) => (await s.runner.run(argv)).stdout;
  try {
    for (const r of parseNftCounters(await run(['nft', '-j', 'list', 'table', 'inet', s.names.hostTable]), [s.names.hostTable]))
      out.rules.push({ network: '_host', table: r.table, rule: r.rule, packets: r.packets, bytes: r.bytes });
  } catch {
    failed('nft');
  }
  const attached = s.attachments();
  await Promise.all(
    model.networks.map(async (network) => {
      const ns = s.names.sandboxNs(network.vni);
      try {
        const tables = [s.names.guardTable, s.names.gatewayTable, s.names.policyTable];
        for (const r of parseNftCounters(await run(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'ruleset']), tables))
          out.rules.push({ network: network.id, table: r.table, rule: r.rule, packets: r.packets, bytes: r.bytes });
      } catch {
        failed('nft');
      }
      const local = network.containers.filter((c) => c.hostId === model.host.id && attached[c.id]);
      if (!local.length) return;
      try {
        const stats = parseLinkStats(await run(['ip', '-n', ns, '-j', '-s', 'link', 'show']));
        for (const c of local) {
          const st = stats.get(s.names.veth(c.id));
          if (st)
            out.veths.push({
              network: network.id,
              container: c.id,
              application: c.applicationId,
              processType: c.processType,
              stats: st,
            });
        }
      } catch {
        failed('link');
      }
    }),
  );
  return out;
}
