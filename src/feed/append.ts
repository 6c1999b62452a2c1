/**
 * Appending to the change feed. Only service verbs call this, inside their write transaction, so a
 * change row commits atomically with the state it describes (transactional outbox).
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import type { Change } from '../../protocol/changes.ts';
import { changes } from '../db/schema/index.ts';

/** A change to append: its kind fixes the payload type and the address columns (protocol/changes.ts). */
export type NewChange = Change;

export type ChangeRecord = NewChange & {
  revision: number;
  createdAt: number;
};

/**
 * Inserts change rows in order and returns them with their revisions. `revision` is the rowid, so
 * the insert's last-insert rowid is it (no RETURNING row to read back); should a driver not report
 * it, `last_insert_rowid()` is asked on the same transaction.
 */
export async function appendChanges(tx: Tx, list: NewChange[], now: number): Promise<ChangeRecord[]> {
  const out: ChangeRecord[] = [];
  for (const c of list) {
    const values = {
      kind: c.kind,
      projectId: c.projectId ?? null,
      networkId: c.networkId ?? null,
      hostId: c.hostId ?? null,
      payload: JSON.stringify(c.payload),
      createdAt: now,
    };
    const result = await tx.insert(changes).values(values);
    const rowid = result.lastInsertRowid ?? (await tx.get<{ revision: number }>(sql`select last_insert_rowid() as revision`))?.revision;
    const revision = Number(rowid);
    out.push({ ...c, revision, createdAt: now });
  }
  return out;
}
