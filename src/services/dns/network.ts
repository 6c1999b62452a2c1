import { eq } from 'drizzle-orm';
import { aliasesOf } from '../../db/dns-lookups.ts';
import type { NetworkAliasModel, NetworkSwitch } from '../../../protocol/model.ts';
import type { Tx } from '../../db/client.ts';
import { getApplication, getNetwork } from '../../db/lookups.ts';
import { networkAliases, networks } from '../../db/schema/index.ts';
import { badInput } from '../../domain/errors.ts';
import { networkIpv6Of } from '../../domain/network-ipv6.ts';
import { assertLabel } from '../../domain/names.ts';
import { appendChanges } from '../../feed/append.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { validateAliasName, validateDnsTtl } from './validate.ts';

export interface AliasInput {
  name: string;
  applicationId: string;
  processType?: string | null;
}

export interface UpdateNetworkInput {
  networkId: string;
  dnsTtl?: number | null;
  /** When given, the network's whole alias list. */
  aliases?: AliasInput[] | null;
  /** Head-end replication of broadcast and multicast across member hosts (issue 21). */
  multicast?: NetworkSwitch | null;
  /** Dual-stack (issue 21): ON gives every container its v6 address in the network's /64 and AAAA records. */
  ipv6?: NetworkSwitch | null;
}

type Switches = { dnsTtl: number; multicast: NetworkSwitch; ipv6: NetworkSwitch };
type NetworkSettings = Switches & { networkId: string; aliases: NetworkAliasModel[] };
type NetworkRow = Switches & { id: string; projectId: string; vni: number; ipv6Cidr: string | null };

/**
 * Changes a network's live settings: its DNS TTL and, when given, its whole alias list (issue 19),
 * and its multicast and ipv6 switches (issue 21). Every host applies them from one `network.updated` change,
 * so a TTL and an alias switch arrive together. Validated before anything is written; an unchanged
 * network emits nothing.
 */
export async function updateNetwork(ctx: ServiceContext, input: UpdateNetworkInput): Promise<Changed<NetworkSettings>> {
  const ttl = input.dnsTtl === undefined || input.dnsTtl === null ? undefined : validateDnsTtl(input.dnsTtl);
  const names = new Set<string>();
  const wanted = input.aliases?.map((a, i) => {
    const alias = checkAlias(`aliases[${i}]`, a);
    if (names.has(alias.name)) throw badInput(`aliases: "${alias.name}" is given twice`, { field: `aliases[${i}].name` });
    names.add(alias.name);
    return alias;
  });
  const multicast = input.multicast ?? undefined;
  if (multicast !== undefined && multicast !== 'ON' && multicast !== 'OFF') throw badInput('multicast must be ON or OFF', { field: 'multicast' });
  const ipv6 = input.ipv6 ?? undefined;
  if (ipv6 !== undefined && ipv6 !== 'ON' && ipv6 !== 'OFF') throw badInput('ipv6 must be ON or OFF', { field: 'ipv6' });
  return ctx.db.write(async (tx) => {
    const network = await getNetwork(tx, input.networkId);
    for (const [i, a] of (wanted ?? []).entries()) await assertTargetInNetwork(tx, network.id, a, `aliases[${i}].applicationId`);
    const before = await aliasesOf(tx, network.id);
    const aliases = wanted ? [...wanted].sort((a, b) => a.name.localeCompare(b.name)) : before;
    return commit(ctx, tx, network, { dnsTtl: ttl ?? network.dnsTtl, multicast: multicast ?? network.multicast, ipv6: ipv6 ?? network.ipv6 }, before, aliases);
  });
}

/**
 * Points `<name>.<pn>…` at an application (its default process type) or one of its process types,
 * or removes the alias when `applicationId` is null. The switch is one change: every host answers
 * the old target or the new one, never neither. The name must be a DNS label that is no id
 * (`ap-…`, `pn-…`, …) and no reserved label (BAD_USER_INPUT); the application must be in the network.
 */
export async function setNetworkAlias(
  ctx: ServiceContext,
  input: { networkId: string; name: string; applicationId: string | null; processType?: string | null },
): Promise<Changed<NetworkSettings>> {
  const target = input.applicationId === null ? null : checkAlias('alias', { ...input, applicationId: input.applicationId });
  const name = target?.name ?? validateAliasName('name', input.name);
  return ctx.db.write(async (tx) => {
    const network = await getNetwork(tx, input.networkId);
    if (target) await assertTargetInNetwork(tx, network.id, target, 'applicationId');
    const before = await aliasesOf(tx, network.id);
    const aliases = [...before.filter((a) => a.name !== name), ...(target ? [target] : [])].sort((a, b) => a.name.localeCompare(b.name));
    return commit(ctx, tx, network, network, before, aliases);
  });
}

function checkAlias(field: string, a: AliasInput): NetworkAliasModel {
  const name = validateAliasName(`${field}.name`, a.name);
  const processType = a.processType === undefined || a.processType === null ? null : assertLabel(`${field}.processType`, a.processType);
  return { name, applicationId: a.applicationId, processType };
}

async function assertTargetInNetwork(tx: Tx, networkId: string, alias: NetworkAliasModel, field: string): Promise<void> {
  const app = await getApplication(tx, alias.applicationId);
  if (app.networkId !== networkId) throw badInput(`application ${alias.applicationId} is not in network ${networkId}`, { field });
}

async function commit(
  ctx: ServiceContext,
  tx: Tx,
  network: NetworkRow,
  { dnsTtl, multicast, ipv6 }: Switches,
  before: NetworkAliasModel[],
  aliases: NetworkAliasModel[],
): Promise<Changed<NetworkSettings>> {
  const result = { networkId: network.id, dnsTtl, multicast, ipv6, aliases };
  const switched = dnsTtl !== network.dnsTtl || multicast !== network.multicast || ipv6 !== network.ipv6;
  if (!switched && JSON.stringify(before) === JSON.stringify(aliases)) return { result, changes: [] };
  if (switched) await tx.update(networks).set({ dnsTtl, multicast, ipv6 }).where(eq(networks.id, network.id));
  await tx.delete(networkAliases).where(eq(networkAliases.networkId, network.id));
  for (const a of aliases) await tx.insert(networkAliases).values({ networkId: network.id, ...a });
  const changes = await appendChanges(
    tx,
    [
      {
        kind: 'network.updated',
        projectId: network.projectId,
        networkId: network.id,
        payload: { dnsTtl, aliases, multicast, ipv6: networkIpv6Of({ ...network, ipv6 }) ?? null },
      },
    ],
    ctx.now(),
  );
  return { result, changes };
}
