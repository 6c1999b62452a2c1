/**
 * The attach API: a local HTTP server on a Unix socket that a container runtime calls.
 *
 *   POST /v1/attach  {containerId, netnsPath} → 200 AttachResult | 4xx/5xx {code, message, details}
 *   POST /v1/detach  {containerId}            → 200 {containerId, detached}
 *   GET  /v1/attachments                      → 200 {containerId: netnsPath | {netnsPath, ifName}} (the latter for CNI)
 *   GET  /v1/status                           → 200 AgentStatus (status.ts): the agent and each network ready or not
 *   POST /v1/cni/{add,check,del,gc}           → the CNI plugin's routes (cni.ts)
 *   POST /v1/{confirm,accept-generation,drain} → the operator's routes (operator.ts)
 *
 * Owns: validating requests, the attachment store, and the network-ready gate: attach answers only
 * after a reconcile pass programmed the container's veth and everything its network needs (every
 * peer and remote entry known now) and the network's DNS socket is bound (agent.ts folds bind errors
 * into the pass report), and — when the container is a source of a policy rule — once the other
 * hosts' policy sets hold it, within a bound (policy-wait.ts). Never: runs kernel commands — it calls the one reconciler.
 * The socket is created mode 0600: only root (the runtime) may attach containers.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ContainerModel, HostConfig, NetworkModel } from '../../protocol/model.ts';
import type { PassReport } from '../reconcile/reconciler';
import { vniOf } from '../reconcile/ops';
import { AttachError, attachResult, findLocalContainer, type AttachResult } from './env';
import { handleCni } from './cni';
import { handleOperator, type OperatorHooks } from './operator';
import type { SafetyStatus } from '../safety/gate.ts';
import { awaitPolicySources, type PolicyWaitOptions } from './policy-wait';
import { agentStatus } from './status';
import type { AttachmentStore } from './store';

/** What the attach server needs from the agent (main.ts wires these). */
export interface AttachServerOptions {
  socketPath: string;
  store: AttachmentStore;
  getConfig: () => HostConfig | null;
  /** One full reconcile pass with the current model and `store.paths()`. */
  reconcile: () => Promise<PassReport>;
  containerIf?: string;
  envPrefix?: string;
  pathExists?: (p: string) => boolean;
  /** The newest reconcile pass of the agent's loop and when it ended, for GET /v1/status. */
  lastPass?: () => { report: PassReport; at: Date } | null;
  /** The brake, the fence and drains (weft-agent confirm, accept-generation, drain). */
  operator?: OperatorHooks;
  /** The brake and fence state, for GET /v1/status. */
  safety?: () => SafetyStatus;
  /** Before an attach answers: wait for the other hosts' policy sets (policy-wait.ts); absent: no wait. */
  policyWait?: PolicyWaitOptions;
}

const attachBody = z.object({ containerId: z.string().min(1).max(200), netnsPath: z.string().startsWith('/').max(4096) });
const detachBody = z.object({ containerId: z.string().min(1).max(200) });

/** Starts listening; resolves with the server once the socket accepts connections. */
export async function startAttachServer(opts: AttachServerOptions): Promise<Server> {
  if (existsSync(opts.socketPath)) rmSync(opts.socketPath); // stale socket of a previous run
  const server = createServer((req, res) => void handle(opts, req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.socketPath, resolve));
  chmodSync(opts.socketPath, 0o600);
  return server;
}

async function handle(opts: AttachServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === 'GET' && req.url === '/v1/attachments') return send(res, 200, opts.store.paths());
    if (req.method === 'GET' && req.url === '/v1/status')
      return send(res, 200, agentStatus(opts.getConfig(), opts.lastPass?.() ?? null, opts.store.paths(), opts.safety?.()));
    const cni = await handleCni(opts, req.method, req.url, (schema) => body(req, schema));
    if (cni) return send(res, 200, cni);
    const operator = await handleOperator(opts.operator, req.method, req.url, (schema) => body(req, schema));
    if (operator) return send(res, 200, operator);
    if (req.method === 'POST' && req.url === '/v1/attach') return send(res, 200, await attach(opts, await body(req, attachBody)));
    if (req.method === 'POST' && req.url === '/v1/detach') return send(res, 200, await detach(opts, (await body(req, detachBody)).containerId));
    send(res, 404, { code: 'NOT_FOUND', message: `${req.method} ${req.url}` });
  } catch (e) {
    if (e instanceof AttachError) send(res, e.status, { code: e.code, message: e.message, details: e.details });
    else send(res, 500, { code: 'INTERNAL', message: (e as Error).message });
  }
}

/** Attach: validate, persist, reconcile, answer with the environment once the network is ready. */
export async function attach(opts: AttachServerOptions, req: { containerId: string; netnsPath: string }): Promise<AttachResult> {
  const { network, container } = findLocalContainer(opts.getConfig(), req.containerId);
  if (!(opts.pathExists ?? existsSync)(req.netnsPath)) throw new AttachError('NETNS_NOT_FOUND', `network namespace ${req.netnsPath} does not exist`, 400);
  if (opts.store.get(req.containerId) !== req.netnsPath) opts.store.set(req.containerId, req.netnsPath);
  await reconcileFor(opts, network, container);
  if (opts.policyWait) await awaitPolicySources(opts.policyWait, network, container);
  const result = attachResult(network, container, opts.containerIf ?? 'eth1', opts.envPrefix);
  return result;
}

/** One pass; throws NETWORK_NOT_READY unless it left the container's network (and the host) without errors. */
export async function reconcileFor(opts: AttachServerOptions, network: NetworkModel, container: ContainerModel): Promise<PassReport> {
  const report = await opts.reconcile();
  const errors = [
    ...(report.networks[network.id]?.errors ?? []),
    ...report.failures.filter((f) => vniOf(f.op) === null).map((f) => f.error),
    ...report.problems.filter((p) => !p.startsWith('container ') || p.startsWith(`container ${container.id}:`)),
  ];
  if (errors.length) throw new AttachError('NETWORK_NOT_READY', `network ${network.id} is not ready for ${container.id}`, 503, errors);
  return report;
}

/** Detach: drain hook first, then forget the attachment and tear the veth down. Idempotent. */
export async function detach(opts: AttachServerOptions, containerId: string): Promise<{ containerId: string; detached: boolean }> {
  const had = opts.store.delete(containerId);
  if (had) {
    const report = await opts.reconcile();
    const errors = Object.values(report.networks).flatMap((n) => n.errors);
    if (errors.length) throw new AttachError('NETWORK_NOT_READY', `detach of ${containerId} left errors`, 503, errors);
  }
  return { containerId, detached: had };
}

async function body<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 64 * 1024) throw new AttachError('BAD_REQUEST', 'body too large', 413);
  }
  const parsed = schema.safeParse(raw ? safeJson(raw) : undefined);
  if (!parsed.success)
    throw new AttachError('BAD_REQUEST', `invalid body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 400);
  return parsed.data;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AttachError('BAD_REQUEST', 'body is not JSON', 400);
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
