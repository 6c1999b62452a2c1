import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { type ReconcileLoop, startReconcileLoop } from './loop';
import type { PassMode } from './reconciler';
import { ATTACHED, fakeAgent, fakeAgentWithHeldCommands, STATES } from '../../test/support/reconcile-scenarios';

describe('reconcile loop', () => {
  afterEach(() => vi.useRealTimers());

  it('batches kicks of one turn into one pass on the next macrotask, resyncs full on a timer, never runs without a model', async () => {
    vi.useFakeTimers();
    const { rec, fake } = fakeAgent();
    let config: HostConfig | null = null;
    const reports: [PassMode, number][] = [];
    const loop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => config,
      getAttachments: () => ATTACHED,
      resyncMs: 10_000,
      onReport: (r) => {
        reports.push([r.mode, r.ops.length]);
      },
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(fake.calls).toHaveLength(0); // no model yet: nothing runs, nothing is deleted
    config = STATES.twoNetworks;
    for (let i = 0; i < 5; i++) loop.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(reports).toEqual([['full', 35]]); // no baseline yet: the first pass reads the kernel (32 + 3 all-zeros FDB remotes)
    config = STATES.containerRemoved;
    loop.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(reports.at(-1)).toEqual(['fast', 3]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reports.at(-1)).toEqual(['full', 0]); // the resync pass reads the kernel and finds nothing to do
    expect(reports).toHaveLength(3);
    loop.stop();
  });

  it('kicks during a running pass coalesce: the deltas in one fast pass after it, then a full pass if any asked for one', async () => {
    const { rec } = fakeAgent();
    let config = STATES.oneNetwork;
    const modes: PassMode[] = [];
    let release: () => void = () => {};
    const loop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => config,
      getAttachments: () => ATTACHED,
      onReport: (r) => {
        modes.push(r.mode);
        if (modes.length === 2) return new Promise<void>((res) => (release = res)); // hold the second pass open
      },
    });
    await vi.waitFor(() => expect(modes).toEqual(['full']));
    config = STATES.twoNetworks;
    loop.kick();
    await vi.waitFor(() => expect(modes).toEqual(['full', 'fast']));
    config = STATES.containerRemoved;
    loop.kick();
    loop.kick('full');
    loop.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(modes).toHaveLength(2); // one pass at a time
    release();
    await vi.waitFor(() => expect(modes).toEqual(['full', 'fast', 'fast', 'full'])); // the delta does not wait for the kernel read
    await new Promise((r) => setTimeout(r, 20));
    expect(modes).toHaveLength(4);
    loop.stop();
  });

  it('a fast pass without a baseline answers the full kicks before it, not one that comes during it', async () => {
    const { rec } = fakeAgent();
    const modes: PassMode[] = [];
    let release: () => void = () => {};
    const loop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => STATES.oneNetwork,
      getAttachments: () => ATTACHED,
      kickOnStart: false,
      onReport: (r) => {
        modes.push(r.mode);
        if (modes.length === 1) return new Promise<void>((res) => (release = res));
      },
    });
    loop.kick('full');
    loop.kick(); // no baseline yet: this fast pass reads the kernel, and answers the full kick too
    await vi.waitFor(() => expect(modes).toEqual(['full']));
    loop.kick('full'); // a snapshot during that pass: it still gets a kernel read of its own
    release();
    await vi.waitFor(() => expect(modes).toEqual(['full', 'full']));
    await new Promise((r) => setTimeout(r, 20));
    expect(modes).toHaveLength(2);
    loop.stop();
  });

  it('a full pass waits for one fast pass, not for a stream of them', async () => {
    const { rec } = fakeAgent();
    const walk = [STATES.oneNetwork, STATES.twoNetworks, STATES.containerRemoved];
    let step = 0;
    const modes: PassMode[] = [];
    const loop: ReconcileLoop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => walk[step % walk.length],
      getAttachments: () => ATTACHED,
      onReport: (r) => {
        modes.push(r.mode);
        if (modes.length === 4) loop.kick('full'); // the resync timer, in the middle of the stream
        if (modes.length < 20) {
          step++;
          loop.kick(); // a delta after every pass: a stream
        }
      },
    });
    await vi.waitFor(() => expect(modes.length).toBeGreaterThanOrEqual(20));
    expect(modes.slice(4, 7)).toContain('full'); // after one fast pass, not after the stream
    loop.stop();
  });

  it('a delta runs while a full pass reads the kernel, and is reported before it', async () => {
    const { rec, reads, hold, release } = fakeAgentWithHeldCommands();
    let config = STATES.oneNetwork;
    const reports: [PassMode, string, number][] = [];
    const loop = startReconcileLoop({
      reconciler: rec,
      getConfig: () => config,
      getAttachments: () => ATTACHED,
      onReport: (r, used) => {
        reports.push([r.mode, r.summary, used.networks.length]);
      },
    });
    await vi.waitFor(() => expect(reports).toHaveLength(1)); // the first pass: full, builds the baseline
    hold();
    loop.kick('full'); // a resync: its read is held
    await vi.waitFor(() => expect(reads()).toBe(2));
    config = STATES.twoNetworks;
    loop.kick();
    await vi.waitFor(() => expect(reports).toHaveLength(2));
    expect(reports[1]).toEqual(['fast', expect.stringContaining('+netns.add×1'), 2]); // applied during the read
    release();
    await vi.waitFor(() => expect(reports).toHaveLength(3));
    expect(reports[2]).toEqual(['full', 'no changes', 2]); // read again after the delta's writes: nothing left to do
    expect(reads()).toBe(3);
    loop.stop();
  });
});
