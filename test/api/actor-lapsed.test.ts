/**
 * `actorLapsed` (src/auth/actor.ts) on a real database: every agent stream asks before each event
 * whether its token still holds. The asks of one event-loop turn share one read, and each still gets
 * its own host's answer: a rotated token, an unknown host, an expired token, a valid one. With the
 * watch cache (`streamTokenCheck`), a stream reads once and again only after a token row for its
 * host, or for an event the cache has not read.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, actorLapsed, streamTokenCheck } from '../../src/auth/actor.ts';
import { hosts } from '../../src/db/schema/index.ts';
import type { WatchCache } from '../../src/feed/watch-cache.ts';
import { countingReads, seedWorld, startTestApi, type TestApi } from '../support/api.ts';

const agent = (hostId: string, ver: number, expiresAt = Date.now() + 60_000): Actor => ({ kind: 'agent', sub: `agent:${hostId}`, hostId, ver, expiresAt });

describe('actorLapsed', () => {
  let api: TestApi;
  let hostIds: string[];
  beforeAll(async () => {
    api = await startTestApi();
    hostIds = (await seedWorld(api, { hosts: 4 })).hostIds;
    await api.db.write((tx) => tx.update(hosts).set({ tokenVersion: 2 }).where(eq(hosts.id, hostIds[3])));
  });
  afterAll(() => api?.close());

  it('answers each stream for its own host, with one read for all the asks of a turn', async () => {
    const reader = api.db.read;
    await countingReads(api, async (reads) => {
      const asks = [
        ...hostIds.slice(0, 3).map((h) => agent(h, 1)),
        agent(hostIds[3], 1), // rotated since: the host is at version 2
        agent(hostIds[3], 2),
        agent('host-gone', 1),
        agent(hostIds[0], 1, Date.now() - 1),
        { kind: 'admin', sub: 'ops', expiresAt: Date.now() + 60_000 } satisfies Actor,
      ];
      const answers = await Promise.all(asks.map((a) => actorLapsed(a, { db: reader, now: Date.now })));
      expect(answers).toEqual([
        null,
        null,
        null,
        'agent token was revoked or its host no longer exists',
        null,
        'agent token was revoked or its host no longer exists',
        'token expired',
        null,
      ]);
      expect(reads()).toBe(1);
      // the next turn reads again: a rotation between two events is seen at the next one
      await api.db.write((tx) => tx.update(hosts).set({ tokenVersion: 3 }).where(eq(hosts.id, hostIds[1])));
      expect(await actorLapsed(agent(hostIds[1], 1), { db: reader, now: Date.now })).toBe('agent token was revoked or its host no longer exists');
      expect(reads()).toBe(2);
    });
  });

  it('with the watch cache, reads again only after a token row for the host or for an event the cache has not read', async () => {
    const cache = api.hub as WatchCache;
    const deps = { db: api.db.read, now: Date.now, tokens: cache.tokens };
    const head = () => cache.stats().head;
    await countingReads(api, async (reads) => {
      const [first, second] = [streamTokenCheck(agent(hostIds[0], 1), deps), streamTokenCheck(agent(hostIds[2], 1), deps)];
      expect(await first(head())).toBeNull();
      expect(await second(head())).toBeNull();
      expect(reads()).toBe(2); // each stream's first event reads (one turn each here)
      expect(await first(head())).toBeNull();
      expect(await first(undefined)).toBeNull(); // an event without a revision: read
      expect(await first(head() + 1)).toBeNull(); // one the cache has not read: read
      expect(reads()).toBe(4);
      await api.ok(`mutation($h: ID!) { revokeHostToken(hostId: $h) { revision } }`, { h: hostIds[0] });
      // the revocation's row is in the cache: the next event of host 0's stream reads and ends it
      expect(await first(head())).toBe('agent token was revoked or its host no longer exists');
      expect(await second(head())).toBeNull(); // another host's stream goes on without a read
      expect(reads()).toBe(5);
    });
  });
});
