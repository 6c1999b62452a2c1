/**
 * Group commit (src/services/group-commit.ts) on a real database: items that arrive together are
 * written by one batch call in one transaction, each keeps its own outcome, a refused item leaves
 * nothing behind, and a failing transaction rejects its whole group and nothing else.
 */
import { like } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { feedState } from '../../src/db/schema/index.ts';
import { groupCommitter } from '../../src/services/group-commit.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

describe('groupCommitter', () => {
  it('writes items that arrive together in one batch and one transaction, each with its own outcome', async () => {
    api = await startTestApi();
    const db = api.db;
    let transactions = 0;
    const write = db.write.bind(db);
    db.write = ((fn: Parameters<typeof write>[0]) => (transactions++, write(fn))) as typeof write;
    const batches: number[][] = [];
    const commit = groupCommitter<number, number>(
      async (tx, items) => {
        batches.push(items);
        const accepted = items.filter((i) => i % 10 !== 3);
        await tx.insert(feedState).values(accepted.map((i) => ({ key: `group-${i}`, value: i }))); // one statement for the group
        return { outcomes: items.map((i) => (i % 10 === 3 ? { ok: false, error: new Error(`item ${i} refused`) } : { ok: true, value: i * 2 })), changes: [] };
      },
      { windowMs: 5, maxItems: 25 },
    );
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => commit(db, i)));
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.message)).toEqual([
      'item 3 refused',
      'item 13 refused',
      'item 23 refused',
      'item 33 refused',
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ result: number }>).value.result)).toEqual(
      Array.from({ length: 40 }, (_, i) => i)
        .filter((i) => i % 10 !== 3)
        .map((i) => i * 2),
    );
    // the window gathers all 40; a group holds at most 25
    expect(batches.map((b) => b.length)).toEqual([25, 15]);
    expect(transactions).toBe(2);
    const rows = await db.read.select().from(feedState).where(like(feedState.key, 'group-%'));
    expect(rows.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 10 !== 3));
  });

  it('rejects the whole group when its transaction fails, and commits the next group', async () => {
    api = await startTestApi();
    const db = api.db;
    let calls = 0;
    const commit = groupCommitter<string, string>(
      async (tx, items) => {
        calls++;
        await tx.insert(feedState).values(items.map((key) => ({ key, value: calls })));
        if (items.includes('group-bad')) throw new Error('the batch failed');
        return { outcomes: items.map((key) => ({ ok: true, value: key })), changes: [] };
      },
      { windowMs: 5 },
    );
    const first = await Promise.allSettled([commit(db, 'group-a'), commit(db, 'group-bad')]);
    expect(first.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((await commit(db, 'group-c')).result).toBe('group-c');
    const rows = await db.read.select().from(feedState).where(like(feedState.key, 'group-%'));
    expect(rows.map((r) => r.key)).toEqual(['group-c']);
  });
});
