/**
 * Appending to the change feed. Only service verbs call this, inside their write transaction, so a
 * change row commits atomically with the state it describes (transactional outbox).
 */
import type { Tx } from '../db/client.ts';
import { changes } from '../db/schema/index.ts';

export interface NewChange {
  kind: string;
  projectId?: string | null;
  networkId?: string | null;
  hostId?: string | null;
  payload: Record<string, unknown>;
}

export interface ChangeRecord extends NewChange {
  revision: number;
  createdAt: number;
}

/** Inserts change rows in order and returns them with their revisions. */
export async function appendChanges(tx: Tx, list: NewChange[], now: number): Promise<ChangeRecord[]> {
  const out: ChangeRecord[] = [];
  for (const c of list) {
    const [row] = await tx
      .insert(changes)
      .values({ kind: c.kind, projectId: c.projectId ?? null, networkId: c.networkId ?? null, hostId: c.hostId ?? null, payload: JSON.stringify(c.payload), createdAt: now })
      .returning({ revision: changes.revision });
    out.push({ ...c, revision: row.revision, createdAt: now });
  }
  return out;
}
