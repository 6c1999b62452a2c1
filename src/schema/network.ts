import { resolvePage } from './pages.ts';
import { and, asc, eq } from 'drizzle-orm';
import { containers } from '../db/schema/index.ts';
import { resolveName } from '../domain/resolve.ts';
import { buildNetworkModel } from '../feed/snapshot.ts';
import { getNetwork, getProject } from '../db/lookups.ts';
import { loadVisible } from './access.ts';
import { IPV6_DESCRIPTION, MULTICAST_DESCRIPTION, NetworkSwitchEnum } from './network-switch.ts';
import { gateway6Of } from '../../protocol/addressing/ipv6.ts';
import { ipv6CidrOf } from '../domain/network-ipv6.ts';
import { builder } from './builder.ts';
import { ContainerRef, ContainerStateEnum, NetworkRef, ProjectRef } from './refs.ts';

NetworkRef.implement({
  description: "A project's private network: one VXLAN segment (VNI) carried in the WireGuard mesh.",
  authScopes: (network) => ({ projectRead: network.projectId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    project: t.field({ type: ProjectRef, resolve: (n, _a, ctx) => getProject(ctx.services.db.read, n.projectId) }),
    vni: t.exposeInt('vni'),
    cidr: t.exposeString('cidr'),
    gateway: t.exposeString('gateway', { description: "First usable address, reserved: the network's DNS resolver." }),
    dnsTtl: t.exposeInt('dnsTtl'),
    multicast: t.field({ type: NetworkSwitchEnum, description: MULTICAST_DESCRIPTION, resolve: (n) => n.multicast }),
    ipv6: t.field({ type: NetworkSwitchEnum, description: IPV6_DESCRIPTION, resolve: (n) => n.ipv6 }),
    ipv6Cidr: t.string({ description: "The network's unique-local /64: in use while ipv6 is ON, kept while OFF.", resolve: (n) => ipv6CidrOf(n) }),
    ipv6Gateway: t.string({
      description: "Offset 1 of the /64, reserved: the network's DNS resolver over IPv6 while ipv6 is ON.",
      resolve: (n) => gateway6Of(ipv6CidrOf(n)),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (n) => n.createdAt }),
    containers: t.connection({
      type: ContainerRef,
      args: { state: t.arg({ type: ContainerStateEnum }) },
      resolve: (n, args, ctx) =>
        resolvePage(args, ({ limit, offset }) =>
          ctx.services.db.read
            .select()
            .from(containers)
            .where(args.state ? and(eq(containers.networkId, n.id), eq(containers.state, args.state)) : eq(containers.networkId, n.id))
            .orderBy(asc(containers.ipOffset))
            .limit(limit)
            .offset(offset),
        ),
    }),
  }),
});

const DnsRecord = builder.objectRef<{ name: string; type: string; ttl: number; data: string }>('DnsRecord').implement({
  fields: (t) => ({ name: t.exposeString('name'), type: t.exposeString('type'), ttl: t.exposeInt('ttl'), data: t.exposeString('data') }),
});

const Rcode = builder.enumType('DnsRcode', {
  values: ['NOERROR', 'NXDOMAIN', 'REFUSED'] as const,
  description:
    'REFUSED: the name is outside private-network.internal and is no reverse name in RFC 1918 or unique-local IPv6 space (the host DNS forwards it upstream).',
});

const ResolveResult = builder
  .objectRef<{ rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED'; records: { name: string; type: string; ttl: number; data: string }[] }>('ResolveResult')
  .implement({
    description: 'Exactly what the host DNS answers inside this network. NOERROR with no records is NODATA.',
    fields: (t) => ({ rcode: t.field({ type: Rcode, resolve: (r) => r.rcode }), records: t.field({ type: [DnsRecord], resolve: (r) => r.records }) }),
  });

builder.queryFields((t) => ({
  network: t.field({
    type: NetworkRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_root, { id }, ctx) => {
      return loadVisible(ctx, 'network', String(id), getNetwork, (n) => n.projectId);
    },
  }),
  resolve: t.field({
    type: ResolveResult,
    description: 'What a container of this network gets from its DNS for `name` and record type `type` (default A).',
    args: { networkId: t.arg.id({ required: true }), name: t.arg.string({ required: true }), type: t.arg.string({ defaultValue: 'A' }) },
    authScopes: { authenticated: true },
    resolve: async (_root, args, ctx) => {
      await loadVisible(ctx, 'network', String(args.networkId), getNetwork, (n) => n.projectId);
      const model = await buildNetworkModel(ctx.services.db.read, String(args.networkId));
      return resolveName(model, args.name, args.type ?? 'A');
    },
  }),
}));
