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
import { startFollower } from './api/follower.ts';
import type { AgentConfig } from './config.ts';
import { makeNames } from './config-names.ts';
import { bindingsFor } from './dns/server.ts';
import { ensureDnsDaemon } from './dns/launch.ts';
import type { DnsDaemonClient } from './dns/control.ts';
import { createExecRunner } from './exec/runner.ts';
import { ensureWgKey } from './exec/wg-key.ts';
import type { HostConfig } from '../protocol/model.ts';
import { createReconciler, type PassReport } from './reconcile/reconciler.ts';
import { startReconcileLoop } from './reconcile/loop.ts';
import { syncCniConfigs } from './runtime/cni-conf.ts';
import { startAttachServer } from './runtime/server.ts';
import { AttachmentStore } from './runtime/store.ts';
import { loadLastKnownGood, saveLastKnownGood } from './state/last-known-good.ts';

export interface AgentOptions {
  config: AgentConfig;
  /** Run every kernel command inside this named namespace (several agents on one machine: tests, demo). */
  hostNetns?: string;
  log?: (line: string) => void;
}

/** Starts an agent; resolves once the attach API listens. */
export async function startAgent({ config, hostNetns, log = console.log }: AgentOptions) {
  const runner = createExecRunner(hostNetns ? { prefix: ['nsenter', `--net=/run/netns/${hostNetns}`] } : {});
  const names = makeNames({ prefix: config.prefix });
  const { privateKeyPath, publicKey } = await ensureWgKey(runner, config.stateDir);
  const client = createApiClient(config.apiUrl, config.token);
  const store = new AttachmentStore(config.stateDir);
  store.prune(existsSync); // attachments whose container namespace is gone
  const reconciler = createReconciler({ runner, names, wgMode: config.wgMode, privateKeyPath, brake: { confirmAfterMs: config.brakeConfirmMs }, log });

  let model: HostConfig | null = loadLastKnownGood(config.stateDir);
  if (model) log(`agent: serving last-known-good model at revision ${model.revision} until the API answers`);

  const { client: dns, startedPid } = await ensureDnsDaemon({
    control: join(config.stateDir, 'dns.sock'),
    state: join(config.stateDir, 'dns-state.json'),
    logFile: join(config.stateDir, 'dns.log'),
  });
  if (startedPid) log(`agent: started DNS daemon pid ${startedPid}`);
  if (config.dnsUpstreams) await dns.setUpstreams(config.dnsUpstreams.map(parseUpstream));
  // One update at a time, each sending the newest model: concurrent ones could reach the daemon out
  // of order and leave it serving an older model until the next change.
  let dnsSync: Promise<void> = Promise.resolve();
  const syncDns = (): Promise<void> => {
    const next = dnsSync.catch(() => undefined).then(() => dns.setNetworks(model!.networks));
    dnsSync = next;
    return next;
  };
  if (model) await syncDns();
  /** After a pass: bind the DNS sockets (the gateway address must exist first) and fold bind errors into the report. */
  const withDns = async (report: PassReport, applied: HostConfig): Promise<PassReport> => {
    const errors: Record<string, string> = await bindDns(dns, applied, names.sandboxNs, config.dnsPort).catch((e) =>
      Object.fromEntries(applied.networks.map((n) => [n.id, String(e)])),
    );
    const networks = { ...report.networks };
    for (const n of applied.networks) {
      if (!errors[n.id]) continue;
      const status = networks[n.id] ?? { vni: n.vni, ok: true, errors: [] };
      networks[n.id] = { ...status, ok: false, errors: [...status.errors, `dns: ${errors[n.id]}`] };
    }
    return { ...report, networks };
  };

  let keyChecked = false;
  let lastPass: { report: PassReport; at: Date } | null = null;
  /** With --cni-conf-dir: one conflist per network of the model (docs/cni.md). */
  const syncCni = (m: HostConfig) => {
    if (!config.cniConfDir) return;
    try {
      const { written, removed } = syncCniConfigs(config.cniConfDir, m.networks, config.attachSocket);
      if (written.length || removed.length) log(`agent: CNI conflists written [${written.join(', ')}] removed [${removed.join(', ')}]`);
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
    onReport: async (pass, applied) => {
      const report = await withDns(pass, applied);
      lastPass = { report, at: new Date() };
      const networks = applied.networks.map((n) => {
        const problems = report.networks[n.id]?.errors ?? [];
        return { networkId: n.id, healthy: problems.length === 0, message: problems.join('; ') || undefined };
      });
      if (report.ops.length || report.failures.length) log(`agent: pass at revision ${applied.revision}: ${report.summary}`);
      await client
        .report({ hostId: config.hostId, appliedRevision: applied.revision, applyMs: Math.round(report.durationMs), networks })
        .catch((e) => log(`agent: report failed: ${(e as Error).message}`));
    },
    onError: (e) => log(`agent: pass failed: ${(e as Error).message}`),
  });

  const follower = startFollower({
    client,
    hostId: config.hostId,
    log,
    onModel: (next, why) => {
      model = next;
      if (!keyChecked && next.host.publicKey !== publicKey) {
        log('agent: the API has another public key for this host; sending ours');
        void client.updateHost({ hostId: config.hostId, publicKey }).catch((e) => log(`agent: updateHost failed: ${(e as Error).message}`));
      }
      keyChecked = true;
      // A CURSOR only moves the revision (nothing in between concerned this host): no pass, no DNS
      // update; the next pass (feed change or resync timer) reports the newer revision.
      if (why === 'cursor') return;
      saveLastKnownGood(config.stateDir, next);
      syncCni(next);
      void syncDns().catch((e) => log(`agent: DNS update failed: ${(e as Error).message}`));
      loop.kick();
    },
  });

  const attachServer: Server = await startAttachServer({
    socketPath: config.attachSocket,
    store,
    getConfig: () => model,
    reconcile: async () => {
      const report = await withDns(await reconciler.reconcile(model!, store.paths()), model!);
      lastPass = { report, at: new Date() };
      return report;
    },
    lastPass: () => lastPass,
    envPrefix: config.envPrefix,
  });
  log(`agent: host ${config.hostId}, attach API on ${config.attachSocket}`);

  return {
    confirmDeletes: () => reconciler.confirmDeletes(),
    async stop() {
      await follower.stop();
      loop.stop();
      await new Promise<void>((resolve) => attachServer.close(() => resolve()));
    },
  };
}

/** Makes the DNS daemon's sockets match the local networks; returns bind errors by network id. */
async function bindDns(dns: DnsDaemonClient, model: HostConfig, sandboxNs: (vni: number) => string, port: number): Promise<Record<string, string>> {
  return dns.syncListeners(bindingsFor(model.networks, (n) => sandboxNs(n.vni), port));
}

/** `ip`, `ip:port`, `ipv6` or `[ipv6]:port` → an upstream (port 53 unless given). */
export function parseUpstream(text: string): { address: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { address: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (text.split(':').length > 2) return { address: text, port: 53 }; // bare IPv6
  const [address, port] = text.split(':');
  return { address, port: port ? Number(port) : 53 };
}
