import { describe, expect, it, vi } from 'vitest';
import { computeDesired } from '../desired/compute';
import { ATTACHED, fakeAgent, fakeAgentWithHeldCommands, STATES } from '../../test/support/reconcile-scenarios';

/** Expected kernel facts for a state, checked against the fake kernel. */
function expectKernelMatches(fake: ReturnType<typeof fakeAgent>['fake'], names: ReturnType<typeof fakeAgent>['names'], state: string) {
  const desired = computeDesired(STATES[state], ATTACHED, { names });
  expect([...fake.named.keys()].filter((n) => names.vniOfSandbox(n) !== null).sort()).toEqual(desired.sandboxes.map((s) => s.ns).sort());
  for (const sb of desired.sandboxes) {
    const ns = fake.named.get(sb.ns)!;
    expect(ns.links.get(sb.bridge.name)?.addrs).toEqual([sb.bridge.address]);
    expect(ns.links.get(sb.vxlan.name)?.master).toBe(sb.bridge.name);
    expect(ns.neigh.map((n) => n.ip).sort()).toEqual(sb.remotes.map((r) => r.ip).sort());
    expect(
      ns.fdb
        .filter((e) => e.self)
        .map((e) => `${e.mac}>${e.dst}`)
        .sort(),
    ).toEqual([...sb.remotes.map((r) => `${r.mac}>${r.dst}`), ...sb.flood.map((dst) => `00:00:00:00:00:00>${dst}`)].sort());
    for (const c of sb.locals) expect(ns.links.get(c.veth)).toMatchObject({ mtu: 1370, master: sb.bridge.name, learning: false });
  }
  const wg = fake.host.wg.get(names.wg)!;
  expect([...wg.peers.keys()].sort()).toEqual(STATES[state].peers.map((p) => p.publicKey).sort());
}

describe('reconciler on the fake host: table-driven states', () => {
  const order = ['empty', 'oneNetwork', 'twoNetworks', 'containerRemoved', 'hostRemoved', 'empty'];
  it.each(order.slice(1).map((s, i) => [order[i], s]))('%s → %s converges, then a second pass does nothing', async (from, to) => {
    const { fake, names, rec } = fakeAgent();
    await rec.reconcile(STATES[from], ATTACHED);
    const r = await rec.reconcile(STATES[to], ATTACHED);
    expect(r.failures).toEqual([]);
    expectKernelMatches(fake, names, to);
    const again = await rec.reconcile(STATES[to], ATTACHED);
    expect(again.ops).toEqual([]);
    expect(again.commands).toBe(0);
  });

  it('remote containers in PENDING and DRAINING get connectivity (FDB + neighbour)', async () => {
    const { fake, names, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const ips = fake.named
      .get(names.sandboxNs(100))!
      .neigh.map((n) => n.ip)
      .sort();
    expect(ips).toEqual(['10.240.0.12', '10.240.0.13', '10.240.0.14']);
  });

  it('multicast: one all-zeros remote per member host, appended; a host that leaves loses only its own; OFF removes them all', async () => {
    const { fake, names, rec } = fakeAgent();
    const flood = () =>
      fake.named
        .get(names.sandboxNs(100))!
        .fdb.filter((e) => e.mac === '00:00:00:00:00:00')
        .map((e) => e.dst)
        .sort();
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(
      r.ops.filter((o) => o.kind === 'fdb.add' && o.ns === names.sandboxNs(100) && o.mac === '00:00:00:00:00:00').map((o) => (o as { dst: string }).dst),
    ).toEqual(['100.64.0.2', '100.64.0.3']);
    expect(flood()).toEqual(['100.64.0.2', '100.64.0.3']);
    await rec.reconcile(STATES.hostRemoved, ATTACHED); // host 2's containers of pn-a are gone
    expect(flood()).toEqual(['100.64.0.3']);
    const off = { ...STATES.twoNetworks, networks: STATES.twoNetworks.networks.map((n) => ({ ...n, multicast: 'OFF' as const })) };
    await rec.reconcile(off, ATTACHED);
    expect(flood()).toEqual([]);
    expect((await rec.reconcile(off, ATTACHED)).ops).toEqual([]);
  });

  it('a local container gets its veth only once attached; the sandbox exists before', async () => {
    const { fake, names, rec } = fakeAgent();
    await rec.reconcile(STATES.oneNetwork, {});
    const ns = fake.named.get(names.sandboxNs(100))!;
    expect([...ns.links.keys()].some((n) => n.startsWith('t1pnc-'))).toBe(false);
    expect(ns.neigh).toHaveLength(1);
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    expect(ns.links.get('t1pnc-a0000001')).toBeDefined();
    const ctr = fake.byPath.get(ATTACHED['ctr-a0000001'])!.links.get('eth1')!;
    expect(ctr).toMatchObject({ mac: '02:00:0a:f0:00:0b', mtu: 1370, up: true, addrs: ['10.240.0.11/22'] });
  });
});

describe('reconciler on the fake host: order, repetition, failures', () => {
  it('the same states replayed in random order converge to identical kernel state', async () => {
    const names = Object.keys(STATES);
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const reference = fakeAgent();
    for (const target of names) {
      await reference.rec.reconcile(STATES[target], ATTACHED);
      const expected = reference.fake.snapshot();
      for (let round = 0; round < 4; round++) {
        const { fake, rec } = fakeAgent();
        const walk = Array.from({ length: 5 }, () => names[Math.floor(rand() * names.length)]);
        for (const s of walk) await rec.reconcile(STATES[s], ATTACHED);
        const r = await rec.reconcile(STATES[target], ATTACHED);
        expect(r.failures, `walk ${walk.join('→')}→${target}`).toEqual([]);
        expect(fake.snapshot(), `walk ${walk.join('→')}→${target}`).toEqual(expected);
      }
    }
  });

  it('delete twice: removing a container again, or replaying its delete commands, is a success', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const first = await rec.reconcile(STATES.containerRemoved, ATTACHED);
    expect(first.ops.map((o) => o.kind).sort()).toEqual(['fdb.del', 'fdb.del', 'neigh.del']);
    const second = await rec.reconcile(STATES.containerRemoved, ATTACHED);
    expect(second.ops).toEqual([]);
    const { toCommands } = await import('./argv');
    const { applyCommands } = await import('./apply');
    expect(await applyCommands(fake, toCommands(first.ops))).toEqual([]); // "missing" on delete = success
  });

  it('one change costs at most 3 kernel operations in at most 2 processes', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.containerRemoved, ATTACHED);
    const before = fake.calls.length;
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED); // a4 comes back
    expect(r.ops.map((o) => o.kind).sort()).toEqual(['fdb.add', 'fdb.add', 'neigh.add']);
    expect(r.commands).toBe(2);
    const writes = fake.calls.slice(before).filter((c) => c.argv.includes('-batch'));
    expect(writes).toHaveLength(2);
  });

  it('collects per-op failures, continues with the rest, reports per network, repairs next pass', async () => {
    const { fake, rec } = fakeAgent();
    fake.failOn = /neigh replace 10\.240\.0\.12 /;
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0].error).toMatch(/line \d+: .*injected/);
    expect(r.networks['pn-a'].ok).toBe(false);
    expect(r.networks['pn-b'].ok).toBe(true);
    expect(
      fake.named
        .get('t1pn-100')!
        .neigh.map((n) => n.ip)
        .sort(),
    ).toEqual(['10.240.0.13', '10.240.0.14']);
    fake.failOn = null;
    const next = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(next.ops.map((o) => o.kind)).toEqual(['neigh.add']);
    expect(next.networks['pn-a'].ok).toBe(true);
  });

  it('drift: a deleted bridge, FDB entry or nft rule set comes back, and only that', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const ns = fake.named.get('t1pn-100')!;
    ns.fdb = ns.fdb.filter((e) => !(e.self && e.mac === '02:00:0a:f0:00:0c'));
    ns.tables.delete('bridge t1pn_guard');
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(r.ops.map((o) => o.kind).sort()).toEqual(['fdb.add', 'nft.replace']);
    ns.links.get('t1pnb-100')!.mcastSnooping = 1;
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED)).ops).toMatchObject([{ kind: 'link.set', mcastSnoopingOff: true }]);
    ns.removeLink('t1pnb-100');
    const r2 = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(r2.failures).toEqual([]);
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED)).ops).toEqual([]);
  });

  it('a sandbox that cannot be read is left alone and reported; the others are reconciled', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    fake.failOn = /-n t1pn-100 -j neigh show/;
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(r.problems.join()).toMatch(/t1pn-100 unreadable/);
    expect(r.ops.every((o) => !('ns' in o) || o.ns !== 't1pn-100')).toBe(true);
    expect(fake.named.has('t1pn-200')).toBe(true);
    fake.failOn = null;
  });

  it('never touches links, FDB entries or namespaces that are not ours', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const ns = fake.named.get('t1pn-100')!;
    ns.links.set('t1pnc-deadbeef', { name: 't1pnc-deadbeef', kind: 'veth', mtu: 1500, up: true, mac: 'aa:aa:aa:aa:aa:aa', learning: true, addrs: [] }); // our name, no alias
    ns.links.set('docker0', {
      name: 'docker0',
      kind: 'bridge',
      mtu: 1500,
      up: true,
      mac: 'aa:aa:aa:aa:aa:ab',
      alias: 'pn:vni=1:pn=x',
      learning: true,
      addrs: [],
    }); // alias, not our name
    fake.named.set('pn-100', new (ns.constructor as new (n: string) => typeof ns)('pn-100')); // another agent's prefix
    fake.named.set('t2pn-5', new (ns.constructor as new (n: string) => typeof ns)('t2pn-5'));
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED);
    expect(r.ops).toEqual([]);
  });

  it('kernel mode creates the WireGuard device; external mode reports it missing', async () => {
    const k = fakeAgent({ wgMode: 'kernel' });
    k.fake.host.links.delete(k.names.wg);
    k.fake.host.wg.delete(k.names.wg);
    const r = await k.rec.reconcile(STATES.oneNetwork, ATTACHED);
    expect(r.ops.map((o) => o.kind)).toContain('wg.create');
    expect(k.fake.host.wg.get(k.names.wg)?.peers.size).toBe(1);
    const e = fakeAgent();
    e.fake.host.links.delete(e.names.wg);
    const r2 = await e.rec.reconcile(STATES.oneNetwork, ATTACHED);
    expect(r2.problems.join()).toMatch(/missing/);
    expect(r2.networks['pn-a'].ok).toBe(true);
  });
});

describe('reconcileFull: a full pass whose kernel read holds no other pass back', () => {
  it('lets a fast pass run during its read, reads again because that pass wrote, and programs the newest model', async () => {
    const { fake, names, rec, reads, hold, release } = fakeAgentWithHeldCommands();
    await rec.reconcile(STATES.twoNetworks, ATTACHED); // the baseline
    let config = STATES.twoNetworks;
    hold();
    const full = rec.reconcileFull(() => ({ config, attachments: ATTACHED }));
    await vi.waitFor(() => expect(reads()).toBe(2)); // the full pass is reading
    config = STATES.containerRemoved;
    const fast = await rec.reconcile(config, ATTACHED, 'fast'); // not held back by that read
    expect([fast.mode, fast.summary]).toEqual(['fast', '-fdb.del×2 -neigh.del×1']);
    release();
    const done = (await full)!;
    expect(reads()).toBe(3); // its first read was taken across the fast pass's writes: read again
    expect(done.input.config).toBe(STATES.containerRemoved);
    expect([done.report.mode, done.report.ops]).toEqual(['full', []]);
    expectKernelMatches(fake, names, 'containerRemoved');
  });

  it('reads again when a pass was still writing as its read began', async () => {
    const { fake, names, rec, reads, waiting, hold, release } = fakeAgentWithHeldCommands();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    hold((argv) => argv.includes('-batch')); // the next pass stops in the middle of its writes
    const fast = rec.reconcile(STATES.containerRemoved, ATTACHED, 'fast');
    await vi.waitFor(() => expect(waiting()).toBe(1));
    const full = rec.reconcileFull(() => ({ config: STATES.containerRemoved, attachments: ATTACHED }));
    await vi.waitFor(() => expect(reads()).toBe(2)); // read while the fast pass is half done
    release();
    await fast;
    const done = (await full)!;
    expect(reads()).toBe(3);
    expect(done.report.ops).toEqual([]);
    expectKernelMatches(fake, names, 'containerRemoved');
  });

  it('uses its own read when no pass wrote meanwhile', async () => {
    const { rec, reads } = fakeAgentWithHeldCommands();
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    const done = (await rec.reconcileFull(() => ({ config: STATES.twoNetworks, attachments: ATTACHED })))!;
    expect(reads()).toBe(2);
    expect(done.report.mode).toBe('full');
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED)).ops).toEqual([]);
  });

  it('does nothing without a model', async () => {
    const { fake, rec } = fakeAgentWithHeldCommands();
    expect(await rec.reconcileFull(() => null)).toBeNull();
    expect(fake.calls).toEqual([]); // not even a read
  });
});
