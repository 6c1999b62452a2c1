import { describe, expect, it } from 'vitest';
import { ATTACHED, fakeAgent, STATES } from '../../test/support/reconcile-scenarios';

describe('safety brake (docs/architecture.md §7.4)', () => {
  const setup = () => {
    let now = 1_000_000;
    const agent = fakeAgent({ brake: { minObjects: 4, ratio: 0.5, confirmAfterMs: 60_000 }, now: () => now });
    return { ...agent, tick: (ms: number) => (now += ms) };
  };

  it('holds the deletions of an empty snapshot, keeps repairing, releases after the window', async () => {
    const { fake, rec, tick } = setup();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const held = await rec.reconcile(STATES.empty, ATTACHED);
    expect(held.brake.hold).toBe(true);
    expect(held.held.length).toBeGreaterThan(0);
    expect(held.ops.filter((o) => o.kind.endsWith('.del'))).toEqual([]);
    expect(held.hostErrors.join()).toMatch(/safety brake/);
    expect(fake.named.has('t1pn-100')).toBe(true);
    // a change under the agent while braked (drift) does not release the brake: the hold persists
    fake.named.get('t1pn-100')!.neigh = [];
    tick(30_000);
    const repair = await rec.reconcile(STATES.empty, ATTACHED);
    expect(repair.brake.hold).toBe(true);
    tick(31_000);
    const released = await rec.reconcile(STATES.empty, ATTACHED);
    expect(released.brake.hold).toBe(false);
    expect(released.held).toEqual([]);
    expect([...fake.named.keys()].filter((n) => n.startsWith('t1pn-'))).toEqual([]);
  });

  it('a different desired state restarts the window', async () => {
    const { rec, tick } = setup();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect((await rec.reconcile(STATES.empty, ATTACHED)).brake.hold).toBe(true);
    tick(50_000);
    expect((await rec.reconcile(STATES.oneNetwork, {})).brake.hold).toBe(true);
    tick(50_000);
    expect((await rec.reconcile(STATES.oneNetwork, {})).brake.hold).toBe(true);
    tick(11_000);
    expect((await rec.reconcile(STATES.oneNetwork, {})).brake.hold).toBe(false);
  });

  it('an operator confirmation applies the held change set once', async () => {
    const { fake, rec } = setup();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect((await rec.reconcile(STATES.empty, ATTACHED)).brake.hold).toBe(true);
    rec.confirmDeletes();
    const r = await rec.reconcile(STATES.empty, ATTACHED);
    expect(r.brake.hold).toBe(false);
    expect(fake.named.has('t1pn-100')).toBe(false);
  });

  it('small or partial deletions pass straight through', async () => {
    const { rec } = setup();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect((await rec.reconcile(STATES.containerRemoved, ATTACHED)).brake.hold).toBe(false);
  });
});
