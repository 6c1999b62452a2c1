/**
 * Host liveness over the database (docs/architecture.md §8.4), on a fake clock: a partition that heals
 * host by host marks nobody DOWN, since every host the guard held back keeps a grace of
 * HOST_DOWN_AFTER_SECONDS from the guard's last hold; a host still silent after its grace goes DOWN.
 * And a sweeping API does not count its own downtime as the hosts' silence.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes, hosts } from '../../src/db/schema/index.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { createContainer } from '../../src/services/containers/create.ts';
import { reportHostStatus } from '../../src/services/hosts/report.ts';
import { sweepLiveness } from '../../src/services/hosts/liveness.ts';
import { seedWorld, startTestApi, type TestApi } from '../support/api.ts';

describe('host liveness: the grace after the partition guard', () => {
  let api: TestApi;
  let clock = Date.now();
  let ctx: ServiceContext;
  let h: string[] = [];
  const report = (ids: string[]) => Promise.all(ids.map((hostId) => reportHostStatus(ctx, { hostId })));
  const downRows = async (hostId: string) =>
    (await api.db.read.select({ payload: changes.payload }).from(changes).where(eq(changes.kind, 'host.down'))).filter(
      (r) => JSON.parse(r.payload).hostId === hostId,
    ).length;

  beforeAll(async () => {
    api = await startTestApi();
    ctx = { db: api.db, config: api.config, now: () => clock };
    const w = await seedWorld(api, { hosts: 3 });
    h = w.hostIds;
    // A container on each host, so a host.down would have a network to be appended to.
    for (const hostId of h) await createContainer(ctx, { applicationId: w.applicationId, processType: 'web', hostId });
    await report(h);
  });
  afterAll(() => api?.close());

  it('holds two silent hosts back, lets the last one back keep its grace, and marks it DOWN once the grace is over', async () => {
    const downAfter = api.config.fleet.downAfterMs;
    // h2 and h3 fall silent together: the guard holds and stamps both.
    clock += downAfter + 1000;
    await report([h[0]]);
    const held = (await sweepLiveness(ctx)).result;
    expect([held.partitioned, held.down, [...held.wouldGoDown].sort()]).toEqual([true, [], [h[1], h[2]].sort()]);
    const stamped = await api.db.read.select({ id: hosts.id, at: hosts.livenessHeldBackAt }).from(hosts);
    expect(
      stamped
        .filter((r) => r.at === clock)
        .map((r) => r.id)
        .sort(),
    ).toEqual([h[1], h[2]].sort());

    // The partition heals host by host: h2 reports, h3 not yet. The guard is off, h3 alone is silent.
    clock += 2000;
    await report([h[0], h[1]]);
    const healing = (await sweepLiveness(ctx)).result;
    expect([healing.partitioned, healing.down, healing.wouldGoDown]).toEqual([false, [], [h[2]]]);
    expect(await downRows(h[2])).toBe(0);

    // h3 never comes back: DOWN once silent for downAfter past the guard's last hold, not before.
    clock += downAfter - 2000 - 1;
    await report([h[0], h[1]]);
    expect((await sweepLiveness(ctx)).result.down).toEqual([]);
    clock += 1;
    expect((await sweepLiveness(ctx)).result.down).toEqual([h[2]]);
    expect(await downRows(h[2])).toBe(1);
    await report([h[2]]);
    expect((await sweepLiveness(ctx)).result.up).toEqual([h[2]]);
  });

  it("does not count the sweeping API's own downtime: a host silent since before the API started is not DOWN yet", async () => {
    const downAfter = api.config.fleet.downAfterMs;
    await report(h);
    clock += downAfter; // the API was down all along; h1 and h2 report at once on its return, h3 at its next heartbeat
    const startedAt = clock - 1000;
    await report([h[0], h[1]]);
    expect((await sweepLiveness(ctx, startedAt)).result.down).toEqual([]);
    expect((await sweepLiveness(ctx)).result.down).toEqual([h[2]]); // the same silence, counted by a process up all along
  });
});
