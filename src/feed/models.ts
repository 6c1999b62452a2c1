/**
 * Row → host-model conversions (protocol/model.ts is the wire contract). Used by the snapshot, by the
 * deltas written to the feed, and by `resolve`, so all three describe a container the same way.
 */
import type { ApplicationModel, ContainerModel, HostModel, PeerModel } from '../../protocol/model.ts';
import type { applications, containers, hosts } from '../db/schema/index.ts';
import { containerHostname } from '../domain/names.ts';

type ContainerRow = typeof containers.$inferSelect;
type HostRow = typeof hosts.$inferSelect;
type ApplicationRow = typeof applications.$inferSelect;

export function toContainerModel(row: ContainerRow, hostMeshIp: string): ContainerModel {
  return {
    id: row.id,
    applicationId: row.applicationId,
    processType: row.processType,
    number: row.number,
    hostId: row.hostId,
    hostMeshIp,
    ip: row.ip,
    mac: row.mac,
    state: row.state,
    hostname: containerHostname(row),
  };
}

export function toApplicationModel(row: ApplicationRow): ApplicationModel {
  return { id: row.id, name: row.name, defaultProcessType: row.defaultProcessType };
}

export function toPeerModel(row: HostRow): PeerModel {
  return { hostId: row.id, name: row.name, publicKey: row.publicKey, endpoint: row.endpoint, meshIp: row.meshIp };
}

export function toHostModel(row: HostRow, meshCidr: string): HostModel {
  const model: HostModel = { id: row.id, name: row.name, meshIp: row.meshIp, meshCidr, endpoint: row.endpoint, publicKey: row.publicKey };
  if (row.keyRotationRequestedAt != null) model.keyRotationRequestedAt = new Date(row.keyRotationRequestedAt).toISOString();
  return model;
}
