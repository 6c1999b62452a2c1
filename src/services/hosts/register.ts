import { eq } from 'drizzle-orm';
import { hosts } from '../../db/schema/index.ts';
import { badInput, conflict, DomainError } from '../../domain/errors.ts';
import { formatIpv4, parseCidr } from '../../../protocol/addressing/ipv4.ts';
import { assertEndpoint, assertHumanName, assertWireguardKey } from '../../domain/validate.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { peersOfHost } from '../../feed/membership.ts';
import { toHostModel, toPeerModel } from '../../feed/models.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';
import { getHost } from '../../db/lookups.ts';

export interface RegisterHostInput {
  name: string;
  endpoint: string;
  publicKey: string;
}

/**
 * Enrols a host: validates its name, underlay endpoint and WireGuard public key (the private key
 * stays on the host) and allocates the lowest free mesh address from MESH_CIDR.
 */
export async function registerHost(ctx: ServiceContext, input: RegisterHostInput): Promise<Changed<{ hostId: string }>> {
  const name = assertHumanName('name', input.name);
  const endpoint = assertEndpoint(input.endpoint);
  const publicKey = assertWireguardKey(input.publicKey);
  const mesh = parseCidr(ctx.config.meshCidr);
  if (!mesh) throw new Error(`MESH_CIDR ${ctx.config.meshCidr} is not a CIDR`);
  const id = newId('host');
  return ctx.db.write(async (tx) => {
    const existing = await tx.select({ name: hosts.name, publicKey: hosts.publicKey, meshIp: hosts.meshIp }).from(hosts);
    if (existing.some((h) => h.name === name)) throw conflict(`a host named "${name}" is already registered`, { field: 'name' });
    if (existing.some((h) => h.publicKey === publicKey)) throw conflict('this WireGuard public key belongs to another host', { field: 'publicKey' });
    const used = new Set(existing.map((h) => h.meshIp));
    let meshIp = '';
    for (let offset = 1; offset < mesh.size - 1 && !meshIp; offset++) {
      const candidate = formatIpv4(mesh.base + offset);
      if (!used.has(candidate)) meshIp = candidate;
    }
    if (!meshIp) throw new DomainError('NETWORK_FULL', `mesh ${ctx.config.meshCidr} has no free address`);
    const now = ctx.now();
    const [row] = await tx.insert(hosts).values({ id, name, endpoint, publicKey, meshIp, createdAt: now }).returning();
    const changes = await appendChanges(tx, [{ kind: 'host.registered', hostId: id, payload: { host: toHostModel(row, ctx.config.meshCidr) } }], now);
    return { result: { hostId: id }, changes };
  });
}

export interface UpdateHostInput {
  hostId: string;
  endpoint?: string | null;
  publicKey?: string | null;
}

/**
 * Changes a host's underlay endpoint and/or public key (key rotation on the host). The host itself
 * gets `host.updated`; every peer gets `peer.upserted` so its WireGuard config follows.
 */
export async function updateHost(ctx: ServiceContext, input: UpdateHostInput): Promise<Changed<{ hostId: string }>> {
  const endpoint = input.endpoint == null ? undefined : assertEndpoint(input.endpoint);
  const publicKey = input.publicKey == null ? undefined : assertWireguardKey(input.publicKey);
  if (endpoint === undefined && publicKey === undefined) throw badInput('give endpoint, publicKey or both');
  return ctx.db.write(async (tx) => {
    const current = await getHost(tx, input.hostId);
    if (publicKey && publicKey !== current.publicKey) {
      const [other] = await tx.select({ id: hosts.id }).from(hosts).where(eq(hosts.publicKey, publicKey));
      if (other) throw conflict('this WireGuard public key belongs to another host', { field: 'publicKey' });
    }
    const next = { endpoint: endpoint ?? current.endpoint, publicKey: publicKey ?? current.publicKey };
    if (next.endpoint === current.endpoint && next.publicKey === current.publicKey) return { result: { hostId: current.id }, changes: [] };
    // a new key answers any pending rotateHostKey request
    const cleared = next.publicKey !== current.publicKey ? { keyRotationRequestedAt: null } : {};
    const [row] = await tx
      .update(hosts)
      .set({ ...next, ...cleared })
      .where(eq(hosts.id, current.id))
      .returning();
    const now = ctx.now();
    const peers = await peersOfHost(tx, current.id);
    const list: NewChange[] = [
      { kind: 'host.updated', hostId: current.id, payload: { host: toHostModel(row, ctx.config.meshCidr) } },
      ...peers.map((peer): NewChange => ({ kind: 'peer.upserted', hostId: peer, payload: { peer: toPeerModel(row) } })),
    ];
    return { result: { hostId: current.id }, changes: await appendChanges(tx, list, now) };
  });
}

/**
 * Asks the host's agent for a new WireGuard key (rotateHostKey): the host gets `host.updated` with
 * `keyRotationRequestedAt`; its agent rotates on its next pass and publishes the key with
 * `updateHost`, which clears the request. Asking again while one is pending changes nothing.
 */
export async function requestHostKeyRotation(ctx: ServiceContext, hostId: string): Promise<Changed<{ hostId: string }>> {
  return ctx.db.write(async (tx) => {
    const current = await getHost(tx, hostId);
    if (current.keyRotationRequestedAt != null) return { result: { hostId: current.id }, changes: [] };
    const now = ctx.now();
    const [row] = await tx.update(hosts).set({ keyRotationRequestedAt: now }).where(eq(hosts.id, current.id)).returning();
    const list: NewChange[] = [{ kind: 'host.updated', hostId: current.id, payload: { host: toHostModel(row, ctx.config.meshCidr) } }];
    return { result: { hostId: current.id }, changes: await appendChanges(tx, list, now) };
  });
}
