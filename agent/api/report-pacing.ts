/**
 * When the agent sends a pass's report (docs/architecture.md §8.5, "Routine reports are paced").
 * The API paces routine pass reports (protocol/agent-report.ts REPORT_INTERVAL_HEADER) so that a
 * large fleet's reports stay within its budget; a pass that applied something the API waits for
 * is reported at once whatever the pace says:
 * - the first pass (after a start): the API learns where the agent stands;
 * - a network joined: the host is a new member, which drains and convergence count;
 * - a container that starts DRAINING: its drain waits for every member host's report (§8.9);
 * - a container added or changed in a network whose policy is not OFF: the policy wait holds the
 *   new container's attach until the hosts that must hold it have reported (§8.12);
 * - a network's policy rewritten.
 * A change of health is the caller's to add (it is in the report, not the model). Pure.
 */
import type { HostConfig, NetworkModel } from '../../protocol/model.ts';

const policyKey = (n: NetworkModel) => `${n.policy?.mode ?? 'OFF'}/${n.policy?.version ?? 0}`;

/** Whether the pass from `before` (null: none yet) to `after` applied a change the API waits for. */
export function awaitedChange(before: HostConfig | null, after: HostConfig): boolean {
  if (!before) return true;
  const prior = new Map(before.networks.map((n) => [n.id, n]));
  for (const n of after.networks) {
    const was = prior.get(n.id);
    if (was === n) continue;
    if (!was || policyKey(was) !== policyKey(n)) return true;
    const enforced = (n.policy?.mode ?? 'OFF') !== 'OFF';
    if (!enforced && !n.containers.some((c) => c.state === 'DRAINING')) continue;
    const states = new Map(was.containers.map((c) => [c.id, c.state]));
    for (const c of n.containers) {
      const old = states.get(c.id);
      if (old === c.state) continue;
      if (enforced || c.state === 'DRAINING') return true;
    }
  }
  return false;
}

/**
 * How long to hold a routine pass report, in ms: 0 to send it now. `lastSentAt` is when the
 * previous pass report was sent (null: none yet), on the same clock as `now`.
 */
export function reportDelay(now: number, lastSentAt: number | null, intervalMs: number): number {
  if (lastSentAt === null || intervalMs <= 0) return 0;
  return Math.max(0, lastSentAt + intervalMs - now);
}

export interface PassReporterOptions {
  /** Sends a report of the newest pass; settles once the API answered (accepted or not). */
  send: () => Promise<unknown>;
  /** The API's pace for routine reports, in ms (0: none), read at each decision. */
  paceMs: () => number;
  /**
   * The least wait, from the first pass no report carries yet, before a report: 0 by default (the
   * bench's raw consumers stand for a pass with it).
   */
  holdMs?: number;
  now?: () => number;
}

/**
 * The pass reports of one agent: one in flight at a time, passes that end meanwhile folded into one
 * more report of the newest pass, so reports reach the API in order. A pass the API waits for
 * (`urgent`) is reported at once (after the one in flight); any other no sooner than `paceMs` after
 * the previous pass report. The report is sent off the pass's path: no pass waits for the API.
 */
export function passReporter(options: PassReporterOptions): { pass(urgent: boolean): void; stop(): void } {
  const now = options.now ?? (() => performance.now());
  const hold = options.holdMs ?? 0;
  let inFlight = false;
  let waiting = false; // a pass that no report sent yet carries
  let waitingSince = 0; // when the first such pass ended
  let waitingUrgent = false;
  let sentAt: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerDue = 0;
  let stopped = false;

  const send = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (inFlight || stopped) return; // the report in flight sends the waiting pass when it ends
    inFlight = true;
    waiting = waitingUrgent = false;
    sentAt = now();
    void options
      .send()
      .catch(() => {})
      .finally(() => {
        inFlight = false;
        if (waiting) schedule();
      });
  };
  const schedule = (): void => {
    if (inFlight || stopped) return;
    const t = now();
    const delay = Math.max(waitingSince + hold - t, waitingUrgent ? 0 : reportDelay(t, sentAt, options.paceMs()));
    if (delay <= 0) {
      send();
      return;
    }
    const due = t + delay;
    if (timer && timerDue <= due) return; // the earliest due report stands
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(send, delay);
  };
  return {
    pass(urgent) {
      if (!waiting) waitingSince = now();
      waiting = true;
      if (urgent) waitingUrgent = true;
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
