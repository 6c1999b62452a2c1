/**
 * Host liveness, the effect side (docs/architecture.md §8.4): one sweep reads every host's last
 * report, lets the pure state machine (src/domain/liveness.ts) decide, and writes the transitions
 * with their changes in one transaction: `host.down` / `host.up`, one row per network the host has
 * containers in (each member host drops or restores those names; each project hears of it).
 */
import { eq } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { hosts } from '../../db/schema/index.ts';
import { livenessStep, type LivenessStep } from '../../domain/liveness.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { networkAddressesOfHost } from '../../feed/membership.ts';
import type { Changed, ServiceContext } from '../context.ts';

/** What the state machine says of the fleet now, without writing (GraphQL `fleetLiveness`). */
export async function readLiveness(
  db: Reader,
  ctx: Pick<ServiceContext, 'config' | 'now'>,
): Promise<LivenessStep & { lastSeen: Record<string, number | null> }> {
  const rows = await db
    .select({ id: hosts.id, lastSeenAt: hosts.lastHeartbeatAt, liveness: hosts.liveness, livenessChangedAt: hosts.livenessChangedAt })
    .from(hosts);
  const step = livenessStep(rows, ctx.now(), { downAfterMs: ctx.config.fleet.downAfterMs, maxFraction: ctx.config.fleet.maxDownFraction });
  return { ...step, lastSeen: Object.fromEntries(rows.map((r) => [r.id, r.lastSeenAt])) };
}

/**
 * One sweep: applies the transitions the state machine decides. A sweep with nothing to change
 * only reads; one that changes something decides again inside its write transaction.
 */
export async function sweepLiveness(ctx: ServiceContext): Promise<Changed<LivenessStep>> {
  const glance = await readLiveness(ctx.db.read, ctx);
  if (!glance.down.length && !glance.up.length) return { result: glance, changes: [] };
  return ctx.db.write(async (tx) => {
    const step = await readLiveness(tx, ctx);
    if (!step.down.length && !step.up.length) return { result: step, changes: [] };
    const now = ctx.now();
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
