/**
 * One running agent: the feed follower, the reconcile loop, the DNS daemon and the attach API,
 * wired together. It owns the current model and hands it to each part; the parts own their effects
 * (the reconciler the kernel, the daemon the DNS sockets, the store the attachments file).
 *
 * What survives this process: the data plane (kernel objects stay; the next agent reconciles them),
 * the DNS daemon (a separate long-lived process, see docs/dns.md), the attachments and the
 * last-known-good model on disk. So restarting the agent interrupts neither traffic nor lookups.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createApiClient } from './api/client.ts';
import { afterReported, type EndedPass, notePass, passesAt } from './api/report-passes.ts';
import { awaitedChange, passReporter } from './api/report-pacing.ts';
import { startFollower } from './api/follower.ts';
import type { AgentConfig } from './config.ts';
import { makeNames } from './config-names.ts';
import { bindingsFor, V6_LISTENER } from './dns/server.ts';
import { ensureDnsDaemon } from './dns/launch.ts';
import { createExecRunner } from './exec/runner.ts';
import { ensureWgKey, forgetOldWgKey, rotateWgKey } from './exec/wg-key.ts';
import type { HostConfig, NetworkModel } from '../protocol/model.ts';
import { DnsPatchError, diffNetworks } from './dns/patch.ts';
import { createReconciler, type PassMode, type PassReport } from './reconcile/reconciler.ts';
import { startReconcileLoop } from './reconcile/loop.ts';
import { syncCniConfigs } from './runtime/cni-conf.ts';
import { startAttachServer } from './runtime/server.ts';
import { AttachmentStore } from './runtime/store.ts';
import { loadLastKnownGood, saveLastKnownGood } from './state/last-known-good.ts';
import { DEFAULT_BRAKE } from './safety/brake.ts';
import { SafetyGate, type SafetyStatus, statedRemovals } from './safety/gate.ts';
import type { AgentSafetyReport } from '../protocol/agent-report.ts';
import { drainContainer } from './runtime/drain-wait.ts';
import { AttachError } from './runtime/env.ts';
import type { AgentMetrics } from './metrics/registry.ts';
import { readPolicyCounters, wouldDropSince } from './metrics/policy-counters.ts';

export interface AgentOptions {
  config: AgentConfig;
  /** Run every kernel command inside this named namespace (several agents on one machine: tests, demo). */
  hostNetns?: string;
  log?: (line: string) => void;
  /** Prometheus metrics (agent/metrics/registry.ts): fed by passes and deltas, read at scrape time. */
  metrics?: AgentMetrics;
}

/** Starts an agent; resolves once the attach API listens. */
export async function startAgent({ config, hostNetns, log = console.log, metrics }: AgentOptions) {
  // Sandbox write batches go to long-lived ip/bridge processes (batch sessions): a fast pass's few
  // lines should not wait for process starts.
  const runner = createExecRunner({ ...(hostNetns ? { prefix: ['nsenter', `--net=/run/netns/${hostNetns}`] } : {}), sessions: {} });
  const names = makeNames({ prefix: config.prefix });
  const { privateKeyPath, publicKey: keyAtStart } = await ensureWgKey(runner, config.stateDir);
  let publicKey = keyAtStart; // of wg.key; a live rotation changes it (rotateKey below)
  const client = createApiClient(config.apiUrl, config.token);
  const store = new AttachmentStore(config.stateDir);
  store.prune(existsSync); // attachments whose container namespace is gone
  const reconciler = createReconciler({ runner, names, wgMode: config.wgMode, privateKeyPath, publicKey: () => publicKey, log });

  // The safety gate decides the model this host serves (kernel, DNS, saved model): brake and fence (§8.2, §8.3).
  const gate = new SafetyGate(loadLastKnownGood(config.stateDir), {
    ...DEFAULT_BRAKE,
    confirmAfterMs: config.brakeConfirmMs,
    nearEmptyShare: config.brakeNearEmpty,
  });
  let model: HostConfig | null = gate.model();
  if (model) log(`agent: serving last-known-good model at revision ${model.revision} until the API answers`);

  const { client: dns, startedPid } = await ensureDnsDaemon({
    control: join(config.stateDir, 'dns.sock'),
    state: join(config.stateDir, 'dns-state.json'),
    logFile: join(config.stateDir, 'dns.log'),
  });
  if (startedPid) log(`agent: started DNS daemon pid ${startedPid}`);
  if (config.dnsUpstreams) await dns.setUpstreams(config.dnsUpstreams.map(parseUpstream));
  // One update at a time, each sending the newest model: concurrent ones could reach the daemon out
  // of order and leave it serving an older model until the next change. An update still waiting
  // for its turn will read the newest model, so later calls share it instead of queueing more.
  // Each update sends only what changed since the last model the daemon took from us
  // (diffNetworks: the one changed name of a delta); the whole model when there is none, or when
  // the daemon refuses the patch (it restarted from an older state file, another client wrote).
  let dnsSync: Promise<void> = Promise.resolve();
  let dnsWaiting: Promise<void> | null = null;
  let dnsSent: NetworkModel[] | null = null; // what the daemon holds from us; null: unknown
  const sendDns = async (next: NetworkModel[]): Promise<void> => {
    const prev = dnsSent;
    dnsSent = null;
    if (prev) {
      try {
        await dns.patchNetworks(diffNetworks(prev, next));
        dnsSent = next;
        return;
      } catch (e) {
        if (!(e instanceof DnsPatchError)) throw e;
      }
    }
    await dns.setNetworks(next);
    dnsSent = next;
  };
  const syncDns = (): Promise<void> => {
    if (dnsWaiting) return dnsWaiting;
    const next = dnsSync
      .catch(() => undefined)
      .then(() => {
        dnsWaiting = null;
        return sendDns(model!.networks);
      });
    dnsWaiting = next;
    dnsSync = next;
    return next;
  };
  if (model) await syncDns();
  /**
   * After a pass: bind the DNS sockets (the gateway address must exist first) and fold bind errors
   * into the report. A fast pass skips the call when the bindings are those the daemon last took
   * without an error; a full pass always makes it (a restarted daemon, a socket closed under it).
   */
  let boundClean: string | null = null;
  const withDns = async (report: PassReport, applied: HostConfig): Promise<PassReport> => {
    const bindings = bindingsFor(applied.networks, (n) => names.sandboxNs(n.vni), config.dnsPort);
    const key = JSON.stringify([...bindings]);
    if (report.mode === 'fast' && key === boundClean) return report;
    boundClean = null;
    const errors: Record<string, string> = await dns.syncListeners(bindings).catch((e) => Object.fromEntries(applied.networks.map((n) => [n.id, String(e)])));
    if (Object.keys(errors).length === 0) boundClean = key;
    const networks = { ...report.networks };
    for (const n of applied.networks) {
      const failed = [errors[n.id], errors[`${n.id}${V6_LISTENER}`]].filter((e) => e !== undefined);
      if (!failed.length) continue;
      const status = networks[n.id] ?? { vni: n.vni, ok: true, errors: [] };
      networks[n.id] = { ...status, ok: false, errors: [...status.errors, ...failed.map((e) => `dns: ${e}`)] };
    }
    return { ...report, networks };
  };

  let keyChecked = false;
  let lastReport: { appliedRevision: number; applyMs?: number; networks: { networkId: string; healthy: boolean; message?: string }[] } | null = null;
  let unreported: readonly EndedPass[] = [];
  // Pacing (./api/report-pacing.ts): the API's pace, and the health the last pass report carried.
  let reportIntervalMs = 0;
  let sentHealth = '';
  /**
   * One report to the API with the safety state. After a pass (`withPass`) it carries the applied
   * revision and per-network health; a plain heartbeat carries neither, so a quiet fleet costs the
   * API one small write per host per WEFT_HEARTBEAT_MS. Never a revision while fenced: it belongs to
   * another database.
   */
  const wouldDrop = new Map<string, number>();
  let sentCounters = false;
  const heartbeat = async (withPass = false): Promise<void> => {
    const status = gate.status();
    const body = status.fence || !lastReport || !withPass ? {} : lastReport;
    // Policy counters ride on the timed heartbeat only, off the path of a pass's report (docs/policies.md#counters).
    const policyCounters = withPass ? [] : await readPolicyCounters(runner, names, model);
    // Sent while any network has a policy, and once more (empty) after the last one went, so the API drops our rows.
    const sendCounters = !withPass && (policyCounters.length > 0 || sentCounters);
    if (sendCounters) sentCounters = policyCounters.length > 0;
    for (const w of wouldDropSince(wouldDrop, policyCounters))
      log(`agent: policy audit: network ${w.networkId}: ${w.flows} new flow(s) would have been dropped`);
    const isPass = body === lastReport;
    if (isPass) sentHealth = JSON.stringify(lastReport!.networks);
    // The passes since the last accepted report date the API's commit → applied samples (./api/report-passes.ts).
    const passes = isPass && unreported.length ? passesAt(unreported, performance.now()) : null;
    await client
      .report({ hostId: config.hostId, ...body, ...(passes ? { passes } : {}), safety: toSafetyReport(status), ...(sendCounters ? { policyCounters } : {}) })
      .then((answer) => {
        reportIntervalMs = answer.reportIntervalMs;
        if (passes) unreported = afterReported(unreported, passes.at(-1)!.revision);
      })
      .catch((e) => log(`agent: report failed: ${(e as Error).message}`));
  };
  /**
   * The report after a pass, off the hot path (./api/report-pacing.ts `passReporter`): one in
   * flight, passes meanwhile folded into one more, reports in order. Paced: a pass whose change the
   * API waits for, or whose health changed, is reported at once; any other at most once per the
   * API's `reportIntervalMs`.
   */
  const passReports = passReporter({ send: () => heartbeat(true), paceMs: () => reportIntervalMs });
  let pacedModel: HostConfig | null = null; // the previous pass's model
  const reportPass = (applied: HostConfig, health: string): void => {
    const urgent = awaitedChange(pacedModel, applied) || health !== sentHealth;
    pacedModel = applied;
    passReports.pass(urgent);
  };
  let lastPass: { report: PassReport; at: Date } | null = null;
  /** With --cni-conf-dir: one conflist per network of the model (docs/cni.md), written when the set of networks changes. */
  let cniNetworks: string | null = null;
  const syncCni = (m: HostConfig) => {
    if (!config.cniConfDir) return;
    const ids = m.networks.map((n) => n.id).join(' ');
    if (ids === cniNetworks) return;
    cniNetworks = null;
    try {
      const { written, removed } = syncCniConfigs(config.cniConfDir, m.networks, config.attachSocket);
      if (written.length || removed.length) log(`agent: CNI conflists written [${written.join(', ')}] removed [${removed.join(', ')}]`);
      cniNetworks = ids;
    } catch (e) {
      log(`agent: CNI conflists in ${config.cniConfDir}: ${(e as Error).message}`);
    }
  };
  if (model) syncCni(model);
  const loop = startReconcileLoop({
    reconciler,
    getConfig: () => model,
    getAttachments: () => store.paths(),
    debounceMs: config.debounceMs,
    resyncMs: config.resyncMs,
    // The first pass spawns every reader at once, and each spawn blocks this process a moment: it
    // waits until the attach API listens (below), so a restart is not slower to serve the runtime.
    kickOnStart: false,
    onReport: async (pass, applied) => {
      metrics?.pass(pass, applied.revision);
      // Level-triggered DNS too: a full pass re-sends the model when the last update failed.
      if (pass.mode === 'full' && dnsSent === null && model) void syncDns().catch((e) => log(`agent: DNS update failed: ${(e as Error).message}`));
      const report = await withDns(pass, applied);
      lastPass = { report, at: new Date() };
      const networks = applied.networks.map((n) => {
        const problems = report.networks[n.id]?.errors ?? [];
        return { networkId: n.id, healthy: problems.length === 0, message: problems.join('; ') || undefined };
      });
      if (report.ops.length || report.failures.length) log(`agent: ${report.mode} pass at revision ${applied.revision}: ${report.summary}`);
      lastReport = { appliedRevision: applied.revision, applyMs: Math.round(report.durationMs), networks };
      unreported = notePass(unreported, applied.revision, performance.now());
      reportPass(applied, JSON.stringify(networks));
    },
    onError: (e, mode) => (metrics?.passFailed(mode), log(`agent: ${mode} pass failed: ${(e as Error).message}`)),
  });

  /**
   * The last-known-good file, off the hot path: a whole-model write per delta would delay the
   * apply. Saved once the current turn's passes are kicked (coalesced: one write for a burst), and
   * always on a clean stop, so the newest model is never lost to a stop.
   */
  let unsaved: HostConfig | null = null;
  let saveTimer: NodeJS.Timeout | null = null;
  const saveNow = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    const m = unsaved;
    unsaved = null;
    if (!m) return;
    try {
      saveLastKnownGood(config.stateDir, m);
    } catch (e) {
      log(`agent: saving the last-known-good model failed: ${(e as Error).message}`);
    }
  };
  const saveSoon = (m: HostConfig) => {
    unsaved = m;
    saveTimer ??= setTimeout(saveNow, SAVE_DELAY_MS);
  };

  /**
   * After the gate moved: program the kernel (a fast pass for a delta, `mode`) and DNS from the
   * serving model, then the CNI conflists and the saved model; report a new safety state at once.
   */
  let lastSafety = JSON.stringify(gate.status());
  const onServing = (changed: boolean, why: string, mode: PassMode = 'full') => {
    const safety = JSON.stringify(gate.status());
    if (safety !== lastSafety) {
      lastSafety = safety;
      log(`agent: safety ${why}: ${describeSafety(gate.status())}`);
      void heartbeat();
    }
    if (!changed || !model) return;
    loop.kick(mode);
    void syncDns().catch((e) => log(`agent: DNS update failed: ${(e as Error).message}`));
    syncCni(model);
    saveSoon(model);
  };
  // Time releases a (partial, never a near-empty) hold; checked every second.
  const brakeTimer = setInterval(() => {
    if (gate.tick(Date.now())) {
      model = gate.model();
      onServing(true, 'released by time');
    }
  }, 1000);
  brakeTimer.unref();
  // A quiet host still reports every heartbeatMs, so the API can tell silence from death (§8.4).
  const heartbeatTimer = setInterval(() => void heartbeat(), config.heartbeatMs);
  heartbeatTimer.unref();

  /**
   * Live host-key rotation (docs/agent-dataplane.md "Host-key rotation"): a new key in wg.key, loaded
   * into the device, then published. From the switch on, peers' traffic keeps arriving on the
   * sessions made with the old key, and this host's traffic to a peer waits in WireGuard's staging
   * queue until that peer, told by the API, swaps the key and handshakes: nothing is dropped.
   * One at a time; a second call shares the running one.
   */
  let rotation: Promise<KeyRotation> | null = null;
  let rotationAnswered: string | null = null; // the rotateHostKey request last acted on
  const rotateKey = (): Promise<KeyRotation> => {
    rotation ??= (async () => {
      if (gate.status().fence) throw new AttachError('FENCED', 'this agent is fenced: it does not publish a key to that API', 409);
      const started = Date.now();
      const previous = publicKey;
      const next = await rotateWgKey(runner, config.stateDir);
      publicKey = next.publicKey;
      await runner.run(['wg', 'set', names.wg, 'private-key', privateKeyPath]); // the switch
      for (let attempt = 1; ; attempt++) {
        try {
          await client.updateHost({ hostId: config.hostId, publicKey });
          break;
        } catch (e) {
          if (attempt < 5) {
            await new Promise((r) => setTimeout(r, 200 * attempt));
            continue;
          }
          keyChecked = false; // the next model from the API that still has the old key gets ours
          throw new AttachError('KEY_NOT_PUBLISHED', `the new key is in use but not published yet: ${(e as Error).message}; the agent retries`, 503);
        }
      }
      forgetOldWgKey(config.stateDir);
      // Fast: the new key moves into the baseline without a kernel read, so the next peer's swap (a
      // fleet rotated host by host) does not wait behind one.
      loop.kick('fast');
      log(`agent: host key rotated: ${previous} -> ${publicKey}`);
      return { previous, publicKey, ms: Date.now() - started };
    })().finally(() => {
      rotation = null;
    });
    return rotation;
  };

  const follower = startFollower({
    client,
    hostId: config.hostId,
    log,
    onRefused: (generation) => {
      // The API does not know this host. On another database, that means: this host should hold nothing
      // there. The gate fences on the new generation; an operator who accepts it then meets the brake.
      const serving = gate.model();
      if (!serving?.generation || serving.generation === generation) return;
      const changed = gate.update({ revision: 0, generation, host: serving.host, peers: [], networks: [] }, 'snapshot', Date.now());
      model = gate.model();
      onServing(changed, 'refused');
    },
    onModel: (next, why, change) => {
      const event = why === 'snapshot' || why === 'relist' ? 'snapshot' : why === 'cursor' ? 'cursor' : 'delta';
      const changed = gate.update(next, event, Date.now(), change ? statedRemovals(change) : []);
      model = gate.model();
      // Not while fenced: that API runs on a database this host does not trust.
      if (!keyChecked && !gate.status().fence && next.host.publicKey !== publicKey) {
        log('agent: the API has another public key for this host; sending ours');
        void client.updateHost({ hostId: config.hostId, publicKey }).catch((e) => log(`agent: updateHost failed: ${(e as Error).message}`));
      }
      if (!gate.status().fence) keyChecked = true;
      // rotateHostKey: one rotation per request, and only once the API holds our current key (not
      // while a key we published is still on its way to it).
      const asked = next.host.keyRotationRequestedAt;
      if (asked && asked !== rotationAnswered && !rotation && !gate.status().fence && next.host.publicKey === publicKey) {
        rotationAnswered = asked;
        log(`agent: the API asks for a new host key (requested ${asked})`);
        void rotateKey().catch((e) => log(`agent: key rotation failed: ${(e as Error).message}`));
      }
      // A CURSOR only moves the revision (nothing in between concerned this host): no pass, no DNS
      // update; the next pass (feed change or resync timer) reports the newer revision.
      if (why === 'cursor') return;
      metrics?.received(next.revision);
      // A delta says what changed: a fast pass (no kernel read). A snapshot may follow a gap: full.
      onServing(changed, why, event === 'delta' ? 'fast' : 'full');
    },
  });

  const api = {
    rotateKey,
    /** Operator: apply the removals the brake holds; returns how many objects were released. */
    confirm(): number {
      const n = gate.confirm();
      model = gate.model();
      onServing(n > 0, 'confirmed by the operator');
      return n;
    },
    /** Operator: trust the database generation the API answers now; returns it (null: not fenced). */
    acceptGeneration() {
      const accepted = gate.acceptGeneration(Date.now());
      model = gate.model();
      onServing(accepted !== null, 'generation accepted by the operator');
      return accepted;
    },
    safety: (): SafetyStatus => gate.status(),
    async stop() {
      clearInterval(brakeTimer);
      clearInterval(heartbeatTimer);
      passReports.stop();
      await follower.stop();
      loop.stop();
      saveNow();
      await new Promise<void>((resolve) => attachServer.close(() => resolve()));
    },
  };

  const attachServer: Server = await startAttachServer({
    socketPath: config.attachSocket,
    store,
    getConfig: () => model,
    // Full: an attach says something changed in the kernel that no delta told us (a container's namespace, new or re-made).
    reconcile: async () => {
      const report = await withDns(await reconciler.reconcile(model!, store.paths(), 'full'), model!);
      metrics?.pass(report, model!.revision);
      lastPass = { report, at: new Date() };
      return report;
    },
    lastPass: () => lastPass,
    safety: () => gate.status(),
    operator: {
      confirm: () => api.confirm(),
      acceptGeneration: () => api.acceptGeneration(),
      drain: (containerId, wait) => drainContainer(client, model, containerId, wait, log),
      rotateKey,
    },
    envPrefix: config.envPrefix,
    policyWait: { ask: (id) => client.policySources(id), boundMs: config.policyWaitMs, log, outcome: (o) => metrics?.policySourceWait(o) },
  });
  metrics?.watch({ model: () => model, attachments: () => store.paths(), runner, names, dnsMetrics: () => dns.metrics(), safety: () => gate.status() });
  log(`agent: host ${config.hostId}, attach API on ${config.attachSocket}`);
  loop.kick('full');

  return api;
}

/** What a live key rotation did: the old and new public keys, and how long until the new one was published. */
export interface KeyRotation {
  previous: string;
  publicKey: string;
  ms: number;
}

/** How long a new model may wait before it is written as last-known-good (a burst of deltas is one write). */
const SAVE_DELAY_MS = 100;

/** `ip`, `ip:port`, `ipv6` or `[ipv6]:port` → an upstream (port 53 unless given). */
export function parseUpstream(text: string): { address: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { address: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (text.split(':').length > 2) return { address: text, port: 53 }; // bare IPv6
  const [address, port] = text.split(':');
  return { address, port: port ? Number(port) : 53 };
}

/** The gate's state in the API's report shape. */
export function toSafetyReport(s: SafetyStatus): AgentSafetyReport {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    brake: s.brake && { ...s.brake, since: iso(s.brake.since) },
    fence: s.fence && {
      reason: s.fence.reason,
      trustedGeneration: s.fence.trusted.generation,
      trustedRevision: s.fence.trusted.revision,
      seenGeneration: s.fence.seen.generation,
      seenRevision: s.fence.seen.revision,
      since: iso(s.fence.since),
    },
  };
}

/** One line for the log. */
export function describeSafety(s: SafetyStatus): string {
  const parts: string[] = [];
  if (s.fence)
    parts.push(
      `FENCED (${s.fence.reason}): trusted generation ${s.fence.trusted.generation} at revision ${s.fence.trusted.revision}, the API answers ${s.fence.seen.generation} at ${s.fence.seen.revision}; run \`weft-agent accept-generation\` to trust it`,
    );
  if (s.brake)
    parts.push(`brake engaged: ${s.brake.reason}; ${s.brake.objectsHeld} objects held${s.brake.nearEmpty ? '; run `weft-agent confirm` to apply' : ''}`);
  return parts.join('; ') || 'all clear';
}
