/**
 * The console's list of a network's containers, and how a `projectChanges` event changes it.
 * Container deltas (created, running, draining, removed) are applied directly, so a state change shows
 * as soon as its event arrives; every other kind asks the caller to read the project again.
 */
import type { ContainerResult, ContainerState, FeedEventResult } from '../api/types.ts';

export interface ContainerRow {
  id: string;
  applicationId: string;
  processType: string;
  number: number;
  ip: string;
  state: ContainerState;
  hostname: string;
  /** null when the caller may not see placement (users: Container.host is admin-only). */
  hostId: string | null;
}

/** GraphQL containers → rows, sorted by application, process type and number. */
export function containerRows(results: ContainerResult[]): ContainerRow[] {
  return sortRows(
    results.map((c) => ({
      id: c.id,
      applicationId: c.application.id,
      processType: c.processType,
      number: c.number,
      ip: c.ip,
      state: c.state,
      hostname: c.hostname,
      hostId: c.host?.id ?? null,
    })),
  );
}

function sortRows(rows: ContainerRow[]): ContainerRow[] {
  return rows.sort(
    (a, b) => a.applicationId.localeCompare(b.applicationId) || a.processType.localeCompare(b.processType) || a.number - b.number || a.id.localeCompare(b.id),
  );
}

const STATE_OF: Record<string, ContainerState> = { 'container.created': 'PENDING', 'container.running': 'RUNNING', 'container.draining': 'DRAINING' };

export interface Applied {
  rows: ContainerRow[];
  /** The event says something the rows cannot hold (a new app, an exposure switch, a resync…): read the project again. */
  reload: boolean;
}

/** Applies one feed event to the rows. Repeating an event changes nothing (upsert by id, remove by id). */
export function applyFeedEvent(rows: ContainerRow[], event: FeedEventResult): Applied {
  if (event.type === 'CURSOR') return { rows, reload: false };
  if (event.type === 'RESYNC' || !event.change) return { rows, reload: true };
  const { kind, payload } = event.change;
  if (kind === 'container.removed') {
    const id = payload.containerId as string;
    return { rows: rows.filter((r) => r.id !== id), reload: false };
  }
  const state = STATE_OF[kind];
  if (!state) return { rows, reload: true };
  const c = payload.container as Record<string, unknown>;
  const before = rows.find((r) => r.id === c.id);
  const row: ContainerRow = {
    id: c.id as string,
    applicationId: c.applicationId as string,
    processType: c.processType as string,
    number: c.number as number,
    ip: c.ip as string,
    state: (c.state as ContainerState | undefined) ?? state,
    hostname: c.hostname as string,
    // Users' payloads lack hostId (src/schema/feed.ts withoutHostKeys); keep what the list said.
    hostId: (c.hostId as string | undefined) ?? before?.hostId ?? null,
  };
  return { rows: sortRows([...rows.filter((r) => r.id !== row.id), row]), reload: false };
}

/**
 * Rows read at head `head`, brought up to date with the events already received past it. A read
 * that started before some events arrived would otherwise undo them (a container shown PENDING after
 * its running event was applied). Replaying in order is safe even for events the read already saw.
 */
export function replayAfter(rows: ContainerRow[], events: FeedEventResult[], head: number): ContainerRow[] {
  return events.filter((e) => e.type === 'CHANGE' && e.revision > head).reduce((acc, e) => applyFeedEvent(acc, e).rows, rows);
}
