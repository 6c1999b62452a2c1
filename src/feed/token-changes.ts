/**
 * Agent token changes as the watch cache reads them (docs/architecture.md §8.5, "Token checks
 * follow the feed"). Rotating or revoking a host's token appends `host.token_rotated` or
 * `host.token_revoked` in the same transaction as the new version. The cache reads every row in
 * revision order, and an open stream is given an event only after the cache has read it. So a
 * stream whose token was found valid when the cache had read through revision M still holds it
 * for any event up to the cache's head, unless a token row for its host came after M: without
 * reading the host again. Pure: no I/O.
 */
import type { FeedRow } from './read.ts';

const TOKEN_KINDS: ReadonlySet<string> = new Set(['host.token_rotated', 'host.token_revoked']);

/** Where the cache stood when a token was found valid: its head, in this run of the cache. */
export interface TokenMark {
  epoch: number;
  head: number;
}

export class TokenChanges {
  /** host → revision of its newest token row read so far. */
  private readonly latest = new Map<string, number>();
  /** Bumped when the cache starts again: a mark taken before means nothing after. */
  private epoch = 0;

  /** Files the token rows among `rows` (read in revision order). */
  note(rows: readonly Pick<FeedRow, 'revision' | 'kind' | 'hostId'>[]): void {
    for (const r of rows) if (r.hostId && TOKEN_KINDS.has(r.kind)) this.latest.set(r.hostId, r.revision);
  }

  /** The cache starts again (a restore, a compaction past its head): every mark is void. */
  reset(): void {
    this.latest.clear();
    this.epoch++;
  }

  /** The mark to keep when a token is found valid by a read that starts now, the cache at `head`. */
  mark(head: number): TokenMark {
    return { epoch: this.epoch, head };
  }

  /**
   * Whether a token of `hostId` found valid at `mark` still holds for an event at `revision`, the
   * cache having read through `head`. False means "read the host again", never "revoked": an event
   * the cache has not read yet (a stream catching up from the table), an unknown revision, a
   * restart, or a token row after the mark.
   */
  holds(hostId: string, mark: TokenMark, revision: number | undefined, head: number): boolean {
    if (mark.epoch !== this.epoch || revision === undefined || revision > head) return false;
    return (this.latest.get(hostId) ?? 0) <= mark.head;
  }
}
