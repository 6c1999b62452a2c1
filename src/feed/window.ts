/**
 * The watch cache's memory (docs/architecture.md §8.5): the most recent change rows, each filed
 * under the readers it concerns (route.ts), so that a stream's next page is a binary search in its
 * own list instead of a query. Pure and synchronous; watch-cache.ts feeds it from the table.
 *
 * It holds every row with `start < revision ≤ head`, at most `capacity` of them; older rows leave
 * the window and a reader behind `start` reads the table instead. A page from the window is the page
 * the table would give (read.ts), with one difference of timing only: a network's rows are filed
 * under the hosts that are members when the row is tailed, where the table asks who is a member when
 * the page is read. Either is complete for an agent, which lists again on `network.joined`.
 */
import type { FeedPage, FeedRow, FeedScope } from './read.ts';
import { type MembershipIndex, readerKey, readersOf } from './route.ts';

/** Rows in revision order, dropped from the front. */
class RowList {
  private items: FeedRow[] = [];
  private offset = 0;

  get size(): number {
    return this.items.length - this.offset;
  }

  push(row: FeedRow): void {
    this.items.push(row);
  }

  first(): FeedRow | undefined {
    return this.items[this.offset];
  }

  dropFirst(): void {
    this.offset++;
    // Reclaim the dropped prefix once it is most of the array, so the cost stays amortised O(1).
    if (this.offset > 64 && this.offset * 2 > this.items.length) {
      this.items = this.items.slice(this.offset);
      this.offset = 0;
    }
  }

  /** Up to `max` rows with revision > `since`. */
  after(since: number, max: number): FeedRow[] {
    let lo = this.offset;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].revision > since) hi = mid;
      else lo = mid + 1;
    }
    return this.items.slice(lo, Math.min(this.items.length, lo + max));
  }

  last(): FeedRow | undefined {
    return this.size ? this.items[this.items.length - 1] : undefined;
  }
}

export class FeedWindow {
  private readonly byReader = new Map<string, RowList>();
  private readonly held: { row: FeedRow; lists: RowList[] }[] = [];
  private heldOffset = 0;

  /**
   * @param index membership as of `head` (the window keeps it current from the rows it is given)
   * @param head the newest revision the window has seen; it starts empty there
   * @param compactedThrough the table's retention mark: a reader behind it is told to RESYNC by the table
   */
  constructor(
    readonly index: MembershipIndex,
    private headRevision: number,
    private compacted: number,
    readonly capacity: number,
  ) {
    this.startRevision = headRevision;
  }

  private startRevision: number;

  get head(): number {
    return this.headRevision;
  }

  /** Every row after `start` (up to `head`) is held. */
  get start(): number {
    return this.startRevision;
  }

  get size(): number {
    return this.held.length - this.heldOffset;
  }

  /**
   * Takes the rows committed after `head`, in revision order, up to the new head `through` (which may
   * lie beyond the last row: revisions that concern nobody). Returns the reader keys that got rows.
   */
  append(rows: readonly FeedRow[], through: number): Set<string> {
    const touched = new Set<string>();
    for (const row of rows) {
      if (row.revision <= this.headRevision) continue; // already held
      this.index.apply(row);
      const lists: RowList[] = [];
      for (const key of readersOf(row, this.index)) {
        let list = this.byReader.get(key);
        if (!list) this.byReader.set(key, (list = new RowList()));
        list.push(row);
        lists.push(list);
        touched.add(key);
      }
      this.held.push({ row, lists });
      this.headRevision = row.revision;
    }
    this.headRevision = Math.max(this.headRevision, through);
    while (this.size > this.capacity) this.evictOldest();
    return touched;
  }

  /** The table's retention mark moved: readers behind it must RESYNC (the table tells them). */
  compactedTo(mark: number): void {
    this.compacted = Math.max(this.compacted, mark);
  }

  /** Whether `scope` has a row after `since` in the window. */
  hasAfter(scope: FeedScope, since: number): boolean {
    const last = this.byReader.get(readerKey(scope))?.last();
    return last !== undefined && last.revision > since;
  }

  /**
   * The page the table would give for `scope` after `since`, or null when the window cannot tell:
   * `since` is older than the window or the retention mark, or newer than the window's head.
   */
  page(scope: FeedScope, since: number, limit: number): FeedPage | null {
    if (since < this.startRevision || since < this.compacted || since > this.headRevision) return null;
    const rows = this.byReader.get(readerKey(scope))?.after(since, limit + 1) ?? [];
    const hasMore = rows.length > limit;
    if (hasMore) rows.length = limit;
    return { resync: false, head: this.headRevision, rows, cursor: hasMore ? rows[rows.length - 1].revision : this.headRevision, hasMore };
  }

  private evictOldest(): void {
    const { row, lists } = this.held[this.heldOffset];
    this.heldOffset++;
    // Every list got its rows in revision order, so this row is the first of each list that holds it.
    for (const list of lists) if (list.first() === row) list.dropFirst();
    this.startRevision = row.revision;
    if (this.heldOffset > 64 && this.heldOffset * 2 > this.held.length) {
      this.held.splice(0, this.heldOffset);
      this.heldOffset = 0;
    }
  }
}
