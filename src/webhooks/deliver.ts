/**
 * Webhook delivery from the change feed: at least once, in revision order per endpoint.
 *
 * Each endpoint has a line: at most one open (PENDING/FAILED) delivery that is not a manual
 * redelivery. A pass (1) gives every enabled endpoint without an open line delivery its next
 * matching change after its cursor, (2) claims every due delivery with a lease, (3) sends them all
 * at once, each with its own timeout, and (4) records each outcome. The cursor moves past a revision
 * only in the transaction that records SUCCEEDED or DEAD, so a crash anywhere re-delivers (same
 * `webhook-id`) instead of skipping; a lease left by a dead process expires and the delivery is
 * taken over. Endpoints never wait for each other: one endpoint's slow receiver holds up only its
 * own line.
 *
 * Runtime-neutral: Node calls this from a background worker (src/node/webhook-worker.ts); a Worker
 * calls `runDeliveryPass` from its Cron Trigger and from `waitUntil` after a commit.
 */
import { and, asc, eq, inArray, isNull, lte, notInArray, or, sql } from 'drizzle-orm';
import type { WebhookSettings } from '../config.ts';
import type { Database, Reader, Tx } from '../db/client.ts';
import { changes, webhookDeliveries, webhookEndpoints } from '../db/schema/index.ts';
import { compactedThrough } from '../feed/read.ts';
import { retryDelayMs } from './backoff.ts';
import { endpointsWithOpenLine, nextRevision, OPEN_STATUSES } from './queries.ts';
import { messageId, signedHeaders, signingSecrets } from './sign.ts';
import { describeSendError, fetchSender, type Sender } from './send.ts';

export interface DeliveryDeps {
  db: Database;
  settings: WebhookSettings;
  /** Defaults to `fetchSender`. */
  send?: Sender;
  log?: (line: string) => void;
  random?: () => number;
  /** Shutdown: in-flight requests are aborted and their outcome is not recorded (the lease expires, and they are sent again). */
  signal?: AbortSignal;
}

type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** A delivery this process holds the lease of, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  leaseId: string;
  url: string;
  secrets: string[];
}

export type AttemptOutcome = 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'LOST';

export interface PassResult {
  attempted: number;
  succeeded: number;
  failed: number;
  dead: number;
}

const MAX_CLAIMS_PER_PASS = 200;

/** How long a claimed attempt may run before another worker may take it over. */
export const leaseMs = (settings: WebhookSettings) => 2 * settings.timeoutMs + 1000;

/** The JSON body of a change (Standard Webhooks' recommended `{type, timestamp, data}` shape). */
export function webhookBody(change: typeof changes.$inferSelect): string {
  const data = {
    revision: change.revision,
    projectId: change.projectId,
    networkId: change.networkId,
    hostId: change.hostId,
    payload: JSON.parse(change.payload) as unknown,
  };
  return JSON.stringify({ type: change.kind, timestamp: new Date(change.createdAt).toISOString(), data });
}

/** Whether any endpoint is enabled: one row at most. */
async function anyEnabledEndpoint(db: Reader): Promise<boolean> {
  return (await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true)).limit(1)).length > 0;
}

/** Enabled endpoints with nothing open on their line, and the next revision they should get. */
async function endpointsToFeed(db: Reader) {
  const rows = await db
    .select({ endpoint: webhookEndpoints, next: nextRevision })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.enabled, true), notInArray(webhookEndpoints.id, endpointsWithOpenLine(db))));
  const through = await compactedThrough(db);
  return rows.filter((r) => r.next !== null || r.endpoint.cursor < through).map((r) => ({ ...r, gap: r.endpoint.cursor < through ? through : null }));
}

const dueFilter = (now: number) =>
  and(
    inArray(webhookDeliveries.status, [...OPEN_STATUSES]),
    lte(webhookDeliveries.nextAttemptAt, now),
    or(isNull(webhookDeliveries.leasedUntil), lte(webhookDeliveries.leasedUntil, now)),
    eq(webhookEndpoints.enabled, true),
  );

async function dueDeliveries(db: Reader, now: number, limit: number) {
  return db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(dueFilter(now))
    .orderBy(asc(webhookDeliveries.endpointId), asc(webhookDeliveries.revision))
    .limit(limit);
}

/** Moves an endpoint's cursor forward (never back) past a revision that is done with. */
async function advanceCursor(tx: Tx, endpointId: string, revision: number): Promise<void> {
  await tx
    .update(webhookEndpoints)
    .set({ cursor: sql`max(${webhookEndpoints.cursor}, ${revision})` })
    .where(eq(webhookEndpoints.id, endpointId));
}

/** Step 1 inside the write transaction: open the next line delivery of every idle endpoint. */
async function feedLines(tx: Tx, now: number): Promise<void> {
  let todo = await endpointsToFeed(tx);
  for (const { endpoint, gap } of todo) {
    if (gap !== null) {
      // Changes after the cursor were deleted by feed retention before they could be delivered:
      // say so in the delivery log instead of skipping them silently.
      await tx.insert(webhookDeliveries).values({
        id: `whd-${crypto.randomUUID()}`,
        endpointId: endpoint.id,
        revision: gap,
        kind: 'feed.compacted',
        body: '',
        status: 'DEAD',
        attempts: 0,
        lastError: `changes after revision ${endpoint.cursor} up to ${gap} were removed by feed retention before delivery; read the project's state again`,
        createdAt: now,
      });
      await advanceCursor(tx, endpoint.id, gap);
    }
  }
  if (todo.some((t) => t.gap !== null)) todo = await endpointsToFeed(tx); // past the gap, carry on at once
  const fed = todo.filter((t) => t.gap === null && t.next !== null);
  if (!fed.length) return;
  const rows = await tx
    .select()
    .from(changes)
    .where(inArray(changes.revision, [...new Set(fed.map((t) => t.next!))]));
  const byRevision = new Map(rows.map((r) => [r.revision, r]));
  for (const { endpoint, next } of fed) {
    const change = byRevision.get(next!)!;
    await tx.insert(webhookDeliveries).values({
      id: `whd-${crypto.randomUUID()}`,
      endpointId: endpoint.id,
      revision: change.revision,
      kind: change.kind,
      body: webhookBody(change),
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
  }
}

/**
 * Opens the next line delivery of every idle endpoint and claims every due delivery, in one write
 * transaction (skipped when a read shows there is nothing to do, and with no read beyond the first
 * when no endpoint is enabled). The caller must then call `attemptDelivery` for each claimed
 * delivery; an attempt it never makes is retried once the lease expires.
 */
export async function claimDueDeliveries(deps: DeliveryDeps, now: number, limit = MAX_CLAIMS_PER_PASS): Promise<ClaimedDelivery[]> {
  // Both steps need an enabled endpoint. Without one, this small read is all the worker costs at
  // each commit; the three reads below cost ~0.5 ms per creation (docs/webhooks.md).
  if (!(await anyEnabledEndpoint(deps.db.read))) return [];
  const idle = (await endpointsToFeed(deps.db.read)).length === 0 && (await dueDeliveries(deps.db.read, now, 1)).length === 0;
  if (idle) return [];
  return deps.db.write(async (tx) => {
    await feedLines(tx, now);
    const claimed: ClaimedDelivery[] = [];
    for (const { delivery, endpoint } of await dueDeliveries(tx, now, limit)) {
      if (delivery.attempts >= deps.settings.maxAttempts) {
        // Its last attempt was cut short (the process died holding the lease): no attempt is left.
        await finish(tx, delivery, { status: 'DEAD', lastError: delivery.lastError ?? 'the last attempt was interrupted (lease expired)' });
        continue;
      }
      const leaseId = crypto.randomUUID();
      const [row] = await tx
        .update(webhookDeliveries)
        .set({ leaseId, leasedUntil: now + leaseMs(deps.settings), attempts: delivery.attempts + 1, lastAttemptAt: now })
        .where(eq(webhookDeliveries.id, delivery.id))
        .returning();
      claimed.push({ delivery: row, leaseId, url: endpoint.url, secrets: signingSecrets(endpoint, now) });
    }
    return claimed;
  });
}

/** Writes a final or retry state; a final state of a line delivery moves the endpoint's cursor. */
async function finish(tx: Tx, delivery: DeliveryRow, set: Partial<DeliveryRow> & { status: DeliveryRow['status'] }): Promise<void> {
  const final = set.status === 'SUCCEEDED' || set.status === 'DEAD';
  await tx
    .update(webhookDeliveries)
    .set({ ...set, leaseId: null, leasedUntil: null, ...(final ? { nextAttemptAt: null } : {}) })
    .where(eq(webhookDeliveries.id, delivery.id));
  if (final && delivery.redeliveryOf === null) await advanceCursor(tx, delivery.endpointId, delivery.revision);
}

/**
 * Sends one claimed delivery and records the outcome: 2xx is SUCCEEDED; anything else (status,
 * timeout, network error) is FAILED with the next attempt scheduled by backoff, or DEAD once
 * `maxAttempts` attempts have been made. Returns LOST when the lease was taken over meanwhile (the
 * other holder records its own outcome).
 */
export async function attemptDelivery(deps: DeliveryDeps, claimed: ClaimedDelivery, startedAt: number): Promise<AttemptOutcome> {
  const { delivery } = claimed;
  const { settings } = deps;
  const t0 = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const headers = signedHeaders(messageId(delivery.endpointId, delivery.revision), delivery.body, claimed.secrets, startedAt);
    status = (await (deps.send ?? fetchSender)({ url: claimed.url, headers, body: delivery.body, timeoutMs: settings.timeoutMs, signal: deps.signal })).status;
    if (status < 200 || status > 299) error = `HTTP ${status}`;
  } catch (e) {
    error = describeSendError(e, settings.timeoutMs);
  }
  if (deps.signal?.aborted) return 'LOST';
  const at = startedAt + (Date.now() - t0);
  return deps.db.write(async (tx) => {
    const [row] = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.leaseId, claimed.leaseId)));
    if (!row) return 'LOST';
    if (error === null) {
      await finish(tx, row, { status: 'SUCCEEDED', lastResponseCode: status, lastError: null });
      return 'SUCCEEDED';
    }
    if (row.attempts >= settings.maxAttempts) {
      deps.log?.(`webhook ${row.endpointId} revision ${row.revision} dead-lettered after ${row.attempts} attempts: ${error}`);
      await finish(tx, row, { status: 'DEAD', lastResponseCode: status, lastError: error });
      return 'DEAD';
    }
    const delay = retryDelayMs(settings, row.attempts, (deps.random ?? Math.random)());
    await finish(tx, row, { status: 'FAILED', lastResponseCode: status, lastError: error, nextAttemptAt: at + delay });
    return 'FAILED';
  });
}

/**
 * One complete delivery pass at time `now`: claim everything due, attempt it all concurrently and
 * wait for the outcomes (each bounded by WEBHOOK_TIMEOUT_MS). This is what a Workers Cron Trigger
 * (and `waitUntil` after a commit) calls; it is safe to run concurrently with other passes.
 */
export async function runDeliveryPass(deps: DeliveryDeps, now: number = Date.now()): Promise<PassResult> {
  const claimed = await claimDueDeliveries(deps, now);
  const settled = await Promise.allSettled(claimed.map((c) => attemptDelivery(deps, c, now)));
  const outcomes = settled.map((s) =>
    s.status === 'fulfilled' ? s.value : (deps.log?.(`webhook attempt not recorded: ${(s.reason as Error)?.message}`), 'LOST' as const),
  );
  const count = (o: AttemptOutcome) => outcomes.filter((x) => x === o).length;
  return { attempted: claimed.length, succeeded: count('SUCCEEDED'), failed: count('FAILED'), dead: count('DEAD') };
}
