/**
 * What `GET /v1/status` of the attach API answers: is this agent ready to attach containers, and
 * is each of its networks ready. One typed object with room to grow (revision, brake and fence
 * fields join it here), built by a pure function from what the agent already holds.
 *
 * Readers: `weft-cni` STATUS (CNI spec 1.1.0), operators (`curl --unix-socket`), tests.
 */
import type { HostConfig } from '../../protocol/model.ts';
import type { PassReport } from '../reconcile/reconciler';
import type { SafetyStatus } from '../safety/gate.ts';

/** One local network's readiness, from the newest reconcile pass that covered it. */
export interface NetworkReadiness {
  vni: number;
  /** True when the newest pass programmed it without errors (including its DNS socket). */
  ready: boolean;
  errors: string[];
}

/** The answer of `GET /v1/status`. */
export interface AgentStatus {
  /** True once the agent holds a host model (from the API or its last-known-good file). */
  ready: boolean;
  /** Why not ready, or the host-wide problems of the newest pass. */
  problems: string[];
  hostId: string | null;
  /** The revision of the model the agent holds. */
  revision: number | null;
  /** When the newest reconcile pass ended (ISO 8601), or null before the first one. */
  lastPassAt: string | null;
  /** Every network of the host model, by network id. */
  networks: Record<string, NetworkReadiness>;
  /** Containers of this host in the model, and how many of them a runtime attached (null: not known here). */
  containers: { local: number; attached: number | null };
  /** WireGuard peers of the model. */
  peers: number;
  /** The first failure or host-wide error of the newest pass, or null (`weft-agent status` prints it). */
  lastError: string | null;
  /** The safety brake (docs/architecture.md §8.2): null when not engaged. */
  brake: SafetyStatus['brake'];
  /** Set while the agent does not trust the API's database (§8.3). */
  fence: SafetyStatus['fence'];
}

/**
 * Builds the status from the current model, the newest pass report (null before the first pass) and
 * the attachments (containerId → netns path), when the caller has them.
 */
export function agentStatus(
  config: HostConfig | null,
  last: { report: PassReport; at: Date } | null,
  attachments?: Record<string, unknown>,
  safety: SafetyStatus = { brake: null, fence: null },
): AgentStatus {
  if (!config)
    return {
      ready: false,
      problems: ['the agent has no host model yet (first snapshot pending)'],
      hostId: null,
      revision: null,
      lastPassAt: null,
      networks: {},
      containers: { local: 0, attached: attachments ? Object.keys(attachments).length : null },
      peers: 0,
      lastError: null,
      ...safety,
    };
  const networks: Record<string, NetworkReadiness> = {};
  for (const n of config.networks) {
    const r = last?.report.networks[n.id];
    // A network without a pass result yet (just arrived, or no container on this host) is not ready.
    networks[n.id] = r
      ? { vni: n.vni, ready: r.ok && r.errors.length === 0, errors: r.errors }
      : { vni: n.vni, ready: false, errors: ['no reconcile pass yet'] };
  }
  const local = config.networks.flatMap((n) => n.containers.filter((c) => c.hostId === config.host.id));
  const report = last?.report;
  return {
    ready: true,
    problems: report ? report.hostErrors : [],
    hostId: config.host.id,
    revision: config.revision,
    lastPassAt: last?.at.toISOString() ?? null,
    networks,
    containers: { local: local.length, attached: attachments ? local.filter((c) => attachments[c.id]).length : null },
    peers: config.peers.length,
    lastError: report?.failures[0]?.error ?? report?.hostErrors[0] ?? report?.problems[0] ?? null,
    ...safety,
  };
}
