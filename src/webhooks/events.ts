/**
 * The event types an endpoint may filter on: the change kinds of project rows (rows with a
 * `projectId`, the only rows delivered), taken from the change catalogue (protocol/changes.ts).
 * Host-only rows (peer.*, host.registered, host.token_*) carry no project and are never sent to
 * integrations; host.down/up and host.brake_engaged are written once per network, with its project.
 */
import { type ChangeKind, type Handling, handledKinds } from '../../protocol/changes.ts';
import { badInput } from '../domain/errors.ts';

/**
 * Which change kinds are webhook events. A kind added to the catalogue fails the typecheck until it
 * has an entry here. Deliveries carry the stored payload as it is, so nothing here parses payloads.
 */
export const WEBHOOK_HANDLING = {
  'project.created': 'handled', // before any endpoint can exist; listed for completeness
  'project.deleted': 'handled',
  'application.created': 'handled',
  'application.updated': 'handled',
  'application.deleted': 'handled',
  'process.exposure_changed': 'handled',
  'process.ports_changed': 'handled',
  'network.updated': 'handled',
  'container.created': 'handled',
  'container.running': 'handled',
  'container.draining': 'handled',
  'container.removed': 'handled',
  'container.drained': 'handled',
  'network.policy_set': 'handled',
  'network.joined': 'handled',
  'network.left': 'handled',
  'peer.upserted': 'not-applicable', // host-addressed: no project
  'peer.removed': 'not-applicable',
  'host.registered': 'not-applicable',
  'host.updated': 'not-applicable',
  'host.token_rotated': 'not-applicable',
  'host.token_revoked': 'not-applicable',
  'host.down': 'handled',
  'host.up': 'handled',
  'host.brake_engaged': 'handled',
} as const satisfies Record<ChangeKind, Handling>;

export const WEBHOOK_EVENT_TYPES: readonly ChangeKind[] = handledKinds(WEBHOOK_HANDLING);

const KNOWN = new Set<string>(WEBHOOK_EVENT_TYPES);

/** Validates an event filter (deduplicated, sorted); an empty list means every event type. */
export function parseEventFilter(events: readonly string[] | null | undefined): string[] {
  const list = [...new Set((events ?? []).map((e) => e.trim()))].sort();
  const unknown = list.filter((e) => !KNOWN.has(e));
  if (unknown.length)
    throw badInput(`unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => `"${e}"`).join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`, {
      field: 'events',
      unknown,
    });
  return list;
}
