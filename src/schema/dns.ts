/**
 * Service discovery settings in GraphQL (issue 19, docs/dns.md "Names"): declared ports
 * (`setProcessPorts`, `ProcessType.ports`, `CreateApplicationInput.ports`), network aliases
 * (`setNetworkAlias`, `PrivateNetwork.aliases`) and the live TTL (`updateNetwork`). Thin: the
 * services validate (BAD_USER_INPUT) and write; protocol strings are checked there, not by an enum,
 * so a bad protocol gets the same coded error as a bad port.
 */
import { aliasesOf, portsOfApplications } from '../db/dns-lookups.ts';
import { getApplication, getNetwork } from '../db/lookups.ts';
import { setProcessPorts } from '../services/dns/ports.ts';
import { setNetworkAlias, updateNetwork } from '../services/dns/network.ts';
import { loadVisible } from './access.ts';
import { builder } from './builder.ts';
import { IPV6_DESCRIPTION, MULTICAST_DESCRIPTION, NetworkSwitchEnum } from './network-switch.ts';
import { entityPayload, lastRevision } from './payloads.ts';
import { ApplicationRef, NetworkRef, ProcessTypeRef } from './refs.ts';

export const PortInput = builder.inputType('PortInput', {
  description: 'A declared port: `_<name>._<protocol>.<type>.<app>.<pn>.private-network.internal` answers SRV.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'A DNS label (http, grpc, …), used as `_<name>`.' }),
    port: t.int({ required: true, description: '1–65535.' }),
    protocol: t.string({ required: true, description: 'TCP or UDP.' }),
  }),
});

export const ProcessPortInput = builder.inputType('ProcessPortInput', {
  fields: (t) => ({
    processType: t.string({ required: true }),
    name: t.string({ required: true }),
    port: t.int({ required: true }),
    protocol: t.string({ required: true, description: 'TCP or UDP.' }),
  }),
});

const Port = builder.objectRef<{ name: string; port: number; protocol: string }>('Port').implement({
  fields: (t) => ({ name: t.exposeString('name'), port: t.exposeInt('port'), protocol: t.exposeString('protocol') }),
});

const Alias = builder.objectRef<{ name: string; applicationId: string; processType: string | null }>('NetworkAlias').implement({
  description: '`<name>.<pn>.private-network.internal` answers the A records of an application (its default type) or one process type.',
  fields: (t) => ({
    name: t.exposeString('name'),
    application: t.field({ type: ApplicationRef, resolve: (a, _x, ctx) => getApplication(ctx.services.db.read, a.applicationId) }),
    processType: t.exposeString('processType', { nullable: true, description: "Null: the application's default process type." }),
  }),
});

builder.objectFields(ProcessTypeRef, (t) => ({
  ports: t.field({
    type: [Port],
    resolve: async (p, _x, ctx) => (await portsOfApplications(ctx.services.db.read, [p.applicationId])).filter((x) => x.processType === p.name),
  }),
}));

builder.objectFields(NetworkRef, (t) => ({
  aliases: t.field({ type: [Alias], resolve: (n, _x, ctx) => aliasesOf(ctx.services.db.read, n.id) }),
}));

const AliasInput = builder.inputType('NetworkAliasInput', {
  fields: (t) => ({ name: t.string({ required: true }), applicationId: t.id({ required: true }), processType: t.string() }),
});

const UpdateNetworkInput = builder.inputType('UpdateNetworkInput', {
  fields: (t) => ({
    networkId: t.id({ required: true }),
    dnsTtl: t.int({ description: 'Seconds, 0–86400: positive answers and (as the SOA minimum) negative ones.' }),
    aliases: t.field({ type: [AliasInput], description: "When given, replaces the network's whole alias list." }),
    multicast: t.field({ type: NetworkSwitchEnum, description: MULTICAST_DESCRIPTION }),
    ipv6: t.field({ type: NetworkSwitchEnum, description: IPV6_DESCRIPTION }),
  }),
});

const NetworkPayload = entityPayload('NetworkPayload', 'network', NetworkRef, (ctx, id) => getNetwork(ctx.services.db.read, id));
const ApplicationPortsPayload = entityPayload('ProcessPortsPayload', 'application', ApplicationRef, (ctx, id) => getApplication(ctx.services.db.read, id));

const writableNetwork = (ctx: Parameters<typeof loadVisible>[0], id: string) => loadVisible(ctx, 'network', id, getNetwork, (n) => n.projectId, 'write');

builder.mutationFields((t) => ({
  setProcessPorts: t.field({
    type: ApplicationPortsPayload,
    description: "Replaces a process type's declared ports (SRV records follow). An empty list removes them.",
    args: {
      applicationId: t.arg.id({ required: true }),
      processType: t.arg.string({ required: true }),
      ports: t.arg({ type: [PortInput], required: true }),
    },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      await loadVisible(ctx, 'application', String(args.applicationId), getApplication, (a) => a.projectId, 'write');
      const { changes } = await setProcessPorts(ctx.services, String(args.applicationId), args.processType, args.ports);
      return { id: String(args.applicationId), revision: lastRevision(changes) };
    },
  }),
  setNetworkAlias: t.field({
    type: NetworkPayload,
    description: 'Points `<name>.<pn>.private-network.internal` at an application or one of its process types, atomically; a null applicationId removes it.',
    args: {
      networkId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      applicationId: t.arg.id(),
      processType: t.arg.string(),
    },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      await writableNetwork(ctx, String(args.networkId));
      const applicationId = args.applicationId === null || args.applicationId === undefined ? null : String(args.applicationId);
      const { changes } = await setNetworkAlias(ctx.services, {
        networkId: String(args.networkId),
        name: args.name,
        applicationId,
        processType: args.processType,
      });
      return { id: String(args.networkId), revision: lastRevision(changes) };
    },
  }),
  updateNetwork: t.field({
    type: NetworkPayload,
    description:
      "Changes a network's live settings: its DNS TTL, its aliases (when given, the whole list), its multicast and ipv6 switches. Every host applies them.",
    args: { input: t.arg({ type: UpdateNetworkInput, required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { input }, ctx) => {
      await writableNetwork(ctx, String(input.networkId));
      const { changes } = await updateNetwork(ctx.services, {
        networkId: String(input.networkId),
        dnsTtl: input.dnsTtl,
        aliases: input.aliases?.map((a) => ({ ...a, applicationId: String(a.applicationId) })),
        multicast: input.multicast,
        ipv6: input.ipv6,
      });
      return { id: String(input.networkId), revision: lastRevision(changes) };
    },
  }),
}));
