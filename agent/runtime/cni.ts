/**
 * The attach API's CNI routes, called by `weft-cni` (cni/main.ts), the CNI plugin of docs/cni.md.
 *
 *   POST /v1/cni/add    {cniContainerId, ifName, netnsPath, networkId, containerId?, ip?, mac?} → 200 AttachResult
 *   POST /v1/cni/check  {cniContainerId, ifName, networkId, netnsPath}                      → 200 AttachResult
 *   POST /v1/cni/del    {cniContainerId, ifName}                                             → 200 {detached: [ids]}
 *   POST /v1/cni/gc     {networkId, valid: [{containerId, ifName}]}                          → 200 {detached: [ids]}
 *
 * Owns: finding the Weft container a runtime means (the scheduler created it in the API, with its
 * IP and MAC, before the runtime started it), and keeping the runtime's key of each attachment
 * (CNI_CONTAINERID, CNI_IFNAME) in the attachment store so DEL and GC find it again. Never: kernel
 * work — like attach, it records the attachment and calls the one reconciler (server.ts).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { ContainerModel, HostConfig, NetworkModel } from '../../protocol/model.ts';
import { AttachError, type AttachResult, attachResult, findLocalContainer } from './env';
import { awaitPolicySources } from './policy-wait';
import { type AttachServerOptions, reconcileFor } from './server';

const ifName = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[^\s/:]+$/)
  .refine((s) => s !== '.' && s !== '..');
const id = z.string().min(1).max(200);
export const cniAddBody = z.object({
  cniContainerId: id,
  ifName,
  netnsPath: z.string().startsWith('/').max(4096),
  networkId: id,
  containerId: id.optional(),
  ip: z.ipv4().optional(),
  mac: z
    .string()
    .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/)
    .optional(),
});
export const cniCheckBody = z.object({ cniContainerId: id, ifName, networkId: id, netnsPath: z.string().startsWith('/').max(4096) });
export const cniDelBody = z.object({ cniContainerId: id, ifName });
export const cniGcBody = z.object({ networkId: id, valid: z.array(z.object({ containerId: id, ifName: z.string() })).max(100_000) });

/** What identifies the Weft container in a CNI ADD (any that is given must agree). */
export interface CniIdentity {
  containerId?: string;
  ip?: string;
  mac?: string;
}

/**
 * Finds the container a CNI ADD means, in the conflist's network, on this host. Pure.
 * Every identity given must name the same container; none given is IDENTITY_MISSING.
 */
export function resolveCniContainer(config: HostConfig | null, networkId: string, who: CniIdentity): { network: NetworkModel; container: ContainerModel } {
  if (!config) throw new AttachError('AGENT_NOT_READY', 'the agent has no host model yet (first snapshot pending)', 503);
  if (!who.containerId && !who.ip && !who.mac)
    throw new AttachError(
      'IDENTITY_MISSING',
      'no Weft container given: pass its MAC (podman --mac-address), its IP (--ip) or CNI_ARGS WEFT_CONTAINER_ID=<ctr-…> (or name the container ctr-…)',
      400,
    );
  const found: [string, string][] = [];
  if (who.containerId) {
    const { network, container } = findLocalContainer(config, who.containerId);
    if (network.id !== networkId)
      throw new AttachError(
        'WRONG_NETWORK',
        `container ${container.id} belongs to network ${network.id}, not ${networkId}: use the conflist of ${network.id}`,
        409,
      );
    found.push(['container id', container.id]);
  }
  const network = config.networks.find((n) => n.id === networkId);
  for (const [what, value, match] of [
    ['IP', who.ip, (c: ContainerModel) => c.ip === who.ip],
    ['MAC', who.mac?.toLowerCase(), (c: ContainerModel) => c.mac.toLowerCase() === who.mac?.toLowerCase()],
  ] as const) {
    if (!value) continue;
    const c = network?.containers.find(match);
    if (!c)
      throw new AttachError(
        'CONTAINER_UNKNOWN',
        `no container with ${what} ${value} in network ${networkId} on this host's model (yet): create it in the API first, then retry`,
        404,
      );
    found.push([`${what} ${value}`, c.id]);
  }
  const ids = new Set(found.map(([, c]) => c));
  if (ids.size > 1)
    throw new AttachError('IDENTITY_MISMATCH', `the identities name different containers: ${found.map(([w, c]) => `${w} → ${c}`).join(', ')}`, 409);
  return findLocalContainer(config, [...ids][0]);
}

/** Handles a CNI route; returns null when the path is not one of them. */
export async function handleCni(opts: AttachServerOptions, method: string | undefined, path: string | undefined, read: <T>(s: z.ZodType<T>) => Promise<T>) {
  if (method !== 'POST') return null;
  if (path === '/v1/cni/add') return cniAdd(opts, await read(cniAddBody));
  if (path === '/v1/cni/check') return cniCheck(opts, await read(cniCheckBody));
  if (path === '/v1/cni/del') return cniDel(opts, await read(cniDelBody));
  if (path === '/v1/cni/gc') return cniGc(opts, await read(cniGcBody));
  return null;
}

/**
 * ADD: find the container, record the attachment under the runtime's key, reconcile, answer.
 * Idempotent: the same ADD again (a runtime that crashed before recording the result) changes
 * nothing and answers the same. A container attached elsewhere whose namespace still exists is
 * first detached (its veth removed), so the new namespace gets the interface.
 */
export async function cniAdd(opts: AttachServerOptions, req: z.infer<typeof cniAddBody>): Promise<AttachResult> {
  const { network, container } = resolveCniContainer(opts.getConfig(), req.networkId, req);
  if (!(opts.pathExists ?? existsSync)(req.netnsPath)) throw new AttachError('NETNS_NOT_FOUND', `network namespace ${req.netnsPath} does not exist`, 400);
  const before = opts.store.entry(container.id);
  const cni = { containerId: req.cniContainerId, ifName: req.ifName, networkId: network.id };
  const same = before && before.netnsPath === req.netnsPath && before.ifName === req.ifName && before.cni?.containerId === cni.containerId;
  if (!same) {
    if (before && (opts.pathExists ?? existsSync)(before.netnsPath)) {
      // Another live namespace (or interface name) has it: remove that veth before making the new one.
      opts.store.delete(container.id);
      await opts.reconcile();
    }
    opts.store.set(container.id, req.netnsPath, { ifName: req.ifName, cni });
  }
  await reconcileFor(opts, network, container);
  if (opts.policyWait) await awaitPolicySources(opts.policyWait, network, container);
  return attachResult(network, container, req.ifName, opts.envPrefix);
}

/** CHECK: the attachment is recorded, its namespace exists, and a pass leaves its network without errors. */
export async function cniCheck(opts: AttachServerOptions, req: z.infer<typeof cniCheckBody>): Promise<AttachResult> {
  const id = opts.store.findCni(req.cniContainerId, req.ifName);
  const entry = id ? opts.store.entry(id) : undefined;
  if (!id || !entry) throw new AttachError('NOT_ATTACHED', `no attachment for CNI container ${req.cniContainerId} interface ${req.ifName}`, 404);
  if (entry.netnsPath !== req.netnsPath) throw new AttachError('NOT_ATTACHED', `container ${id} is attached to ${entry.netnsPath}, not ${req.netnsPath}`, 409);
  if (!(opts.pathExists ?? existsSync)(req.netnsPath)) throw new AttachError('NETNS_NOT_FOUND', `network namespace ${req.netnsPath} does not exist`, 400);
  const { network, container } = findLocalContainer(opts.getConfig(), id);
  if (network.id !== req.networkId) throw new AttachError('WRONG_NETWORK', `container ${id} belongs to network ${network.id}, not ${req.networkId}`, 409);
  await reconcileFor(opts, network, container);
  return attachResult(network, container, req.ifName, opts.envPrefix);
}

/** DEL: forget the attachment the runtime knows as (CNI_CONTAINERID, CNI_IFNAME) and tear its veth down. Unknown is success. */
export async function cniDel(opts: AttachServerOptions, req: z.infer<typeof cniDelBody>): Promise<{ detached: string[] }> {
  const id = opts.store.findCni(req.cniContainerId, req.ifName);
  if (!id) return { detached: [] };
  opts.store.delete(id);
  // Errors of other networks are not this DEL's (the spec wants DEL to succeed); without a model the
  // loop's first pass removes the veth.
  if (opts.getConfig()) await opts.reconcile();
  return { detached: [id] };
}

/** GC: detach every CNI attachment of the network that is not in the runtime's list of valid ones. Attachments not made through CNI are left alone. */
export async function cniGc(opts: AttachServerOptions, req: z.infer<typeof cniGcBody>): Promise<{ detached: string[] }> {
  const valid = new Set(req.valid.map((v) => `${v.containerId}\u0000${v.ifName}`));
  const stale = opts.store
    .entries()
    .filter(([, a]) => a.cni?.networkId === req.networkId && !valid.has(`${a.cni.containerId}\u0000${a.cni.ifName}`))
    .map(([id]) => id);
  for (const id of stale) opts.store.delete(id);
  if (stale.length && opts.getConfig()) await opts.reconcile();
  return { detached: stale };
}
