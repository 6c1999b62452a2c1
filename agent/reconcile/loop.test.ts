import { describe, expect, it, vi } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { startReconcileLoop } from './loop';
import { ATTACHED, fakeAgent, STATES } from '../../test/support/reconcile-scenarios';

describe('reconcile loop', () => {
  it('debounces kicks into one pass, resyncs on a timer, never runs without a model', async () => {
    vi.useFakeTimers();
    const { rec, fake } = fakeAgent();
    let config: HostConfig | null = null;
    const reports: number[] = [];
    const loop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => config,
      getAttachments: () => ATTACHED,
      debounceMs: 100,
      resyncMs: 10_000,
      onReport: (r) => {
        reports.push(r.ops.length);
      },
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(fake.calls).toHaveLength(0); // no model yet: nothing runs, nothing is deleted
    config = STATES.twoNetworks;
    for (let i = 0; i < 5; i++) loop.kick();
    await vi.advanceTimersByTimeAsync(150);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reports).toEqual([reports[0], 0]); // the resync pass found nothing to do
    loop.stop();
    vi.useRealTimers();
  });
});
