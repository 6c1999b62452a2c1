/**
 * The event types an endpoint may filter on: the kinds of change-feed rows that belong to a project
 * (rows with a `projectId`). Host-addressed rows (peer.*, host.registered, host.updated) carry no
 * project and are never sent to integrations. `host.down` is reserved: nothing emits it yet, but
 * integrations may subscribe to it now.
 */
import { badInput } from '../domain/errors.ts';

export const WEBHOOK_EVENT_TYPES = [
  'project.created',
  'project.deleted',
  'application.created',
  'application.updated',
  'application.deleted',
  'process.exposure_changed',
  'container.created',
  'container.running',
  'container.draining',
  'container.removed',
  'network.joined',
  'network.left',
  'host.down',
] as const;

const KNOWN = new Set<string>(WEBHOOK_EVENT_TYPES);

/** Validates an event filter (deduplicated, sorted); an empty list means every event type. */
export function parseEventFilter(events: readonly string[] | null | undefined): string[] {
  const list = [...new Set((events ?? []).map((e) => e.trim()))].sort();
  const unknown = list.filter((e) => !KNOWN.has(e));
  if (unknown.length) throw badInput(`unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => `"${e}"`).join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`, { field: 'events', unknown });
  return list;
}
