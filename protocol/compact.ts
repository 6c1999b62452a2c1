/**
 * The compact form of a host delta (docs/architecture.md §8.5): what the API leaves out of the
 * payloads it streams to agents because the agent derives it, and how the agent puts it back before
 * parsing the row against the change catalogue. A container's `hostname` follows from its number,
 * type, application and network, and its `mac` from its IP (§2.2): together about 150 of the ~700
 * bytes a container change cost on the wire. Other readers (frontends, webhooks) get full payloads.
 * Pure.
 */
import { macOf } from './addressing/ipv4.ts';
import { ZONE_APEX } from './dns/zone.ts';
import type { ContainerModel } from './model.ts';

type Payload = Record<string, unknown>;

/** `<n>.<type>.<app>.<network>.private-network.internal`, without the trailing dot. */
export function containerHostname(c: { number: number; processType: string; applicationId: string }, networkId: string): string {
  return `${c.number}.${c.processType}.${c.applicationId}.${networkId}.${ZONE_APEX}`;
}

/** The payload without what `expandPayload` derives again (a container's hostname and MAC). */
export function compactPayload(payload: Payload): Payload {
  const container = payload.container as Partial<ContainerModel> | undefined;
  if (!container || typeof container !== 'object') return payload;
  const { hostname: _hostname, mac: _mac, ...rest } = container;
  return { ...payload, container: rest };
}

/** A compact payload made whole again; a full one is returned as it is. */
export function expandPayload(payload: Payload, networkId: string | null | undefined): Payload {
  const container = payload.container as Partial<ContainerModel> | undefined;
  if (!container || typeof container !== 'object' || (container.hostname !== undefined && container.mac !== undefined)) return payload;
  const filled: Payload = { ...container };
  // Left for the catalogue's schema to refuse when the fields to derive from are missing.
  if (filled.mac === undefined && typeof container.ip === 'string') {
    try {
      filled.mac = macOf(container.ip);
    } catch {
      // not an IPv4 address: the schema refuses the row
    }
  }
  if (filled.hostname === undefined && typeof networkId === 'string' && typeof container.number === 'number')
    filled.hostname = containerHostname(container as ContainerModel, networkId);
  return { ...payload, container: filled };
}
