/**
 * zod schemas of the host model's pieces that travel inside change payloads (protocol/model.ts
 * stays the documented source of the shapes). A type-level check below fails the typecheck when a
 * schema and its interface drift apart, so a field added to the model must be added here too.
 * Runtime-neutral: zod only.
 */
import { z } from 'zod';
import type { ApplicationModel, ContainerModel, HostModel, NetworkAliasModel, NetworkIpv6, PeerModel } from './model.ts';

export const containerStateSchema = z.enum(['PENDING', 'RUNNING', 'DRAINING']);

export const containerModelSchema = z.object({
  id: z.string(),
  applicationId: z.string(),
  processType: z.string(),
  number: z.number().int(),
  hostId: z.string(),
  hostMeshIp: z.string(),
  ip: z.string(),
  mac: z.string(),
  state: containerStateSchema,
  hostname: z.string(),
});

export const applicationModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  defaultProcessType: z.string(),
});

export const networkSwitchSchema = z.enum(['ON', 'OFF']);

/** A network's IPv6 block when its switch is ON (issue 21): its unique-local /64 and gateway. */
export const networkIpv6Schema = z.object({ cidr: z.string(), gateway: z.string() });

export const portProtocolSchema = z.enum(['TCP', 'UDP']);

/** A declared port as a change carries it (its application and type are the change's). */
export const declaredPortSchema = z.object({ name: z.string(), port: z.number().int(), protocol: portProtocolSchema });

export const networkAliasModelSchema = z.object({ name: z.string(), applicationId: z.string(), processType: z.string().nullable() });

export const peerModelSchema = z.object({
  hostId: z.string(),
  name: z.string(),
  publicKey: z.string(),
  endpoint: z.string(),
  meshIp: z.string(),
});

export const hostModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  meshIp: z.string(),
  meshCidr: z.string(),
  endpoint: z.string(),
  publicKey: z.string(),
  keyRotationRequestedAt: z.string().optional(),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Compile-time only: each schema parses to exactly its interface. */
export type ModelSchemasMatch = [
  Assert<Same<z.infer<typeof containerModelSchema>, ContainerModel>>,
  Assert<Same<z.infer<typeof applicationModelSchema>, ApplicationModel>>,
  Assert<Same<z.infer<typeof peerModelSchema>, PeerModel>>,
  Assert<Same<z.infer<typeof hostModelSchema>, HostModel>>,
  Assert<Same<z.infer<typeof networkAliasModelSchema>, NetworkAliasModel>>,
  Assert<Same<z.infer<typeof networkIpv6Schema>, NetworkIpv6>>,
];
