/**
 * Group commit (src/services/group-commit.ts) on a real database: concurrent writes share
 * transactions, each keeps its own outcome, and a write that throws leaves nothing behind.
 */
import { like } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { feedState } from '../../src/db/schema/index.ts';
import { groupWrite } from '../../src/services/group-commit.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

describe('groupWrite', () => {
  it('commits concurrent writes in fewer transactions, each with its own outcome', async () => {
    api = await startTestApi();
    const db = api.db;
    let transactions = 0;
    const write = db.write.bind(db);
    db.write = ((fn: Parameters<typeof write>[0]) => (transactions++, write(fn))) as typeof write;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        groupWrite(db, async (tx) => {
          await tx.insert(feedState).values({ key: `group-${i}`, value: i });
          if (i % 10 === 3) throw new Error(`write ${i} refused`);
          return { result: i, changes: [] };
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.message)).toEqual([
      'write 3 refused',
      'write 13 refused',
      'write 23 refused',
      'write 33 refused',
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ result: number }>).value.result)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 10 !== 3),
    );
    // the first write commits alone; the 39 that arrived meanwhile commit together
    expect(transactions).toBe(2);
    const rows = await db.read.select().from(feedState).where(like(feedState.key, 'group-%'));
    expect(rows.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 10 !== 3));
  });
});
