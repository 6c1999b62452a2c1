/**
 * The sweep's first question, asked of the database (src/services/hosts/liveness.ts `mayChange`):
 * it must answer as the pure `mayChange` (src/domain/liveness.ts) does, whose table test ties it to
 * the state machine. Each case writes the hosts' liveness columns and asks both.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hosts } from '../../src/db/schema/index.ts';
import { type HostBeat, mayChange as pureMayChange } from '../../src/domain/liveness.ts';
import { mayChange } from '../../src/services/hosts/liveness.ts';
import { seedWorld, startTestApi, type TestApi } from '../support/api.ts';

describe('host liveness: whether a sweep can move anything, asked of the database', () => {
  let api: TestApi;
  let ids: string[] = [];
  const now = 10_000_000;
  const downAfter = 30_000;
  // Per host: null (never reported), or how long ago it reported and whether it is DOWN.
  type Beat = null | { ago: number; down?: true };

  beforeAll(async () => {
    api = await startTestApi({ HOST_DOWN_AFTER_SECONDS: String(downAfter / 1000) });
    ids = (await seedWorld(api, { hosts: 3 })).hostIds;
  });
  afterAll(() => api?.close());

  it.each([
    ['every host heard from within the window', [{ ago: 1000 }, { ago: 29_999 }, { ago: 0 }], false],
    ['an UP host silent for exactly the window', [{ ago: 1000 }, { ago: 30_000 }, { ago: 0 }], true],
    ['a DOWN host heard from', [{ ago: 1000 }, { ago: 1000, down: true }, { ago: 0 }], true],
    ['a DOWN host still silent, another never reported', [{ ago: 1000 }, { ago: 40_000, down: true }, null], false],
    ['no host ever reported', [null, null, null], false],
  ] as [string, Beat[], boolean][])('%s', async (_name, beats, expected) => {
    const rows: HostBeat[] = beats.map((b, i) => ({
      id: ids[i],
      lastSeenAt: b ? now - b.ago : null,
      liveness: b?.down ? 'DOWN' : 'UP',
      livenessChangedAt: null,
      heldBackAt: null,
    }));
    for (const r of rows) await api.db.write((tx) => tx.update(hosts).set({ lastHeartbeatAt: r.lastSeenAt, liveness: r.liveness }).where(eq(hosts.id, r.id)));
    const asked = await mayChange(api.db.read, { config: api.config, now: () => now });
    expect([asked, pureMayChange(rows, now, { downAfterMs: downAfter })]).toEqual([expected, expected]);
  });
});
