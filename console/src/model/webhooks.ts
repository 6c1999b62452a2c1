/** The webhooks view's model: each endpoint with its recent deliveries, an outcome line for each, and whether it may be redelivered. */
import type { DeliveryResult, WebhookEndpointResult } from '../api/types.ts';
import { canWrite, type Role } from './access.ts';

export interface DeliveryRow {
  id: string;
  event: string;
  revision: number;
  status: DeliveryResult['status'];
  outcome: string;
  canRedeliver: boolean;
}

export interface EndpointRow {
  id: string;
  url: string;
  state: string;
  events: string;
  deliveries: DeliveryRow[];
}

export function outcomeOf(d: DeliveryResult): string {
  const tries = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  if (d.status === 'PENDING') return 'not attempted yet';
  const answer = d.lastResponseCode !== null ? `HTTP ${d.lastResponseCode}` : (d.lastError ?? 'no answer');
  if (d.status === 'SUCCEEDED') return `${answer} after ${tries}`;
  if (d.status === 'DEAD') return `dead-lettered after ${tries}: ${answer}`;
  return `failed (${tries}): ${answer}`;
}

export function endpointRows(endpoints: WebhookEndpointResult[], role: Role): EndpointRow[] {
  return endpoints.map((e) => ({
    id: e.id,
    url: e.url,
    state: e.enabled ? `enabled, delivered through revision ${e.lastDeliveredRevision}` : 'disabled',
    events: e.events.length ? e.events.join(', ') : 'every event',
    deliveries: e.deliveries.edges.map(({ node: d }) => ({
      id: d.id,
      event: d.eventType,
      revision: d.revision,
      status: d.status,
      outcome: outcomeOf(d),
      canRedeliver: canWrite(role),
    })),
  }));
}
