/**
 * Host liveness, the effect side (docs/architecture.md §8.4): one sweep reads every host's last
 * report, lets the pure state machine (src/domain/liveness.ts) decide, and writes the transitions
 * with their changes in one transaction: `host.down` / `host.up`, one row per network the host has
 * containers in (each member host drops or restores those names; each project hears of it).
 * A sweep first asks the database whether any host can move at all (`mayChange`): a quiet fleet,
 * the usual case, costs one indexless scan in SQLite, not a thousand rows read into JavaScript
 * twice a second.
 */
import { and, eq, gt, inArray, lte, or } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { hosts } from '../../db/schema/index.ts';
import { livenessStep, type LivenessStep, silentThrough } from '../../domain/liveness.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { networkAddressesOfHost } from '../../feed/membership.ts';
import type { Changed, ServiceContext } from '../context.ts';

/**
 * What the state machine says of the fleet now, without writing (GraphQL `fleetLiveness`).
 * `countFrom`: the sweeping process's start; silence before it is not counted towards DOWN.
 */
export async function readLiveness(
  db: Reader,
  ctx: Pick<ServiceContext, 'config' | 'now'>,
  countFrom?: number,
): Promise<LivenessStep & { lastSeen: Record<string, number | null> }> {
  const rows = await db
    .select({
      id: hosts.id,
      lastSeenAt: hosts.lastHeartbeatAt,
      liveness: hosts.liveness,
      livenessChangedAt: hosts.livenessChangedAt,
      heldBackAt: hosts.livenessHeldBackAt,
    })
    .from(hosts);
  const { downAfterMs, maxDownFraction } = ctx.config.fleet;
  const step = livenessStep(rows, ctx.now(), { downAfterMs, maxFraction: maxDownFraction, countFrom });
  return { ...step, lastSeen: Object.fromEntries(rows.map((r) => [r.id, r.lastSeenAt])) };
}

/**
 * `mayChange` (src/domain/liveness.ts) asked of the database: is any host that reported UP and
 * silent, or DOWN and heard from since? One row at most is read.
 */
export async function mayChange(db: Reader, ctx: Pick<ServiceContext, 'config' | 'now'>): Promise<boolean> {
  const through = silentThrough(ctx.now(), ctx.config.fleet);
  const found = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(or(and(eq(hosts.liveness, 'UP'), lte(hosts.lastHeartbeatAt, through)), and(eq(hosts.liveness, 'DOWN'), gt(hosts.lastHeartbeatAt, through))))
    .limit(1);
  return found.length > 0;
}

/** What a sweep did: the step's transitions and partition guard (which hosts are silent is `readLiveness`'s). */
export type SweepStep = Omit<LivenessStep, 'silent'>;

/**
 * One sweep: applies the transitions the state machine decides. A fleet where no host can move
 * (`mayChange`) is not read further. A sweep with nothing to change only reads; one that changes
 * something decides again inside its write transaction. A sweep at which the partition guard holds
 * stamps the hosts it holds back (one statement): their grace.
 */
export async function sweepLiveness(ctx: ServiceContext, countFrom?: number): Promise<Changed<SweepStep>> {
  if (!(await mayChange(ctx.db.read, ctx))) return { result: { down: [], up: [], partitioned: false, wouldGoDown: [] }, changes: [] };
  const glance = await readLiveness(ctx.db.read, ctx, countFrom);
  if (!glance.down.length && !glance.up.length && !glance.partitioned) return { result: glance, changes: [] };
  return ctx.db.write(async (tx) => {
    const step = await readLiveness(tx, ctx, countFrom);
    const now = ctx.now();
    if (step.partitioned) await tx.update(hosts).set({ livenessHeldBackAt: now }).where(inArray(hosts.id, step.wouldGoDown));
    if (!step.down.length && !step.up.length) return { result: step, changes: [] };
    const list: NewChange[] = [];
    for (const [ids, liveness] of [
      [step.down, 'DOWN'],
      [step.up, 'UP'],
    ] as const) {
      for (const hostId of ids) {
        await tx.update(hosts).set({ liveness, livenessChangedAt: now }).where(eq(hosts.id, hostId));
        const seen = step.lastSeen[hostId] ?? null;
        for (const { networkId, projectId } of await networkAddressesOfHost(tx, hostId))
          list.push(
            liveness === 'DOWN'
              ? { kind: 'host.down', projectId, networkId, payload: { hostId, lastSeenAt: seen === null ? null : new Date(seen).toISOString() } }
              : { kind: 'host.up', projectId, networkId, payload: { hostId } },
          );
      }
    }
    return { result: step, changes: await appendChanges(tx, list, now) };
  });
}
