/**
 * The fast path (docs/architecture.md §8.6): the baseline's contract, fast passes that read nothing
 * and write what a full pass would, and every way the baseline is dropped.
 */
import { describe, expect, it } from 'vitest';
import { computeDesired } from '../desired/compute';
import { container, hostConfig, network } from '../../test/support/model';
import { ATTACHED, fakeAgent, H, KEY_PATH, STATES } from '../../test/support/reconcile-scenarios';
import { gateway6Of, ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import { asObserved } from './baseline';
import { diff } from './diff';

const reads = (calls: { argv: string[] }[]) => calls.filter((c) => c.argv.includes('-j') || (c.argv[0] === 'wg' && c.argv[1] === 'show'));

describe('asObserved: the kernel as a clean pass leaves it', () => {
  const { names } = fakeAgent();
  it.each(Object.keys(STATES))('diff(desired, asObserved(desired)) is empty: %s', (state) => {
    for (const attached of [ATTACHED, {}]) {
      const d = computeDesired(STATES[state], attached, { names });
      for (const wgMode of ['kernel', 'external'] as const)
        expect(diff(d, asObserved(d), { names, wgMode, privateKeyPath: 'state/wg.key' })).toEqual({ ops: [], problems: [] });
    }
  });

  it('diff(desired, asObserved(desired)) is empty for a dual-stack network: the v6 gateway and the v6 neighbour entries are in the baseline', () => {
    const dual = STATES.twoNetworks.networks.map((n) => ({ ...n, ipv6: { cidr: ulaOfVni(n.vni), gateway: gateway6Of(ulaOfVni(n.vni)) } }));
    const d = computeDesired({ ...STATES.twoNetworks, networks: dual }, ATTACHED, { names });
    expect(d.sandboxes.every((sb) => sb.ipv6 && sb.remotes.every((r) => r.ip6))).toBe(true);
    for (const wgMode of ['kernel', 'external'] as const)
      expect(diff(d, asObserved(d), { names, wgMode, privateKeyPath: 'state/wg.key' })).toEqual({ ops: [], problems: [] });
  });

  it('equals what a full pass reads back from the fake kernel, for every attribute the diff compares', async () => {
    const { fake, names, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const { observe } = await import('./observe');
    const o = await observe(fake, names);
    const b = asObserved(computeDesired(STATES.twoNetworks, ATTACHED, { names }));
    // MACs are compared for bridges only; the fake's wireguard-go device is a `tun`
    const ours = (links: typeof o.hostLinks) =>
      links
        .filter((l) => names.isOurIfname(l.name) || l.name === names.wg)
        .map(({ mac, ...l }) => ({ ...l, mac: l.kind === 'bridge' ? mac : null }))
        .sort((x, y) => x.name.localeCompare(y.name));
    expect(ours(o.hostLinks).map((l) => ({ ...l, kind: 'wireguard' }))).toEqual(b.hostLinks);
    expect(o.wg).toEqual(b.wg);
    for (const ns of b.namespaces) {
      const [got, want] = [o.sandboxes[ns], b.sandboxes[ns]];
      expect(ours(got.links)).toEqual([...want.links].sort((x, y) => x.name.localeCompare(y.name)));
      expect(got.fdb.filter((e) => e.state !== 'permanent' || e.self)).toEqual(expect.arrayContaining(want.fdb));
      expect(got.fdb.filter((e) => e.state !== 'permanent' || e.self)).toHaveLength(want.fdb.length);
      expect(got.neigh).toEqual(want.neigh);
      expect(got.tables).toEqual(want.tables);
    }
  });
});

describe('fast passes on the fake host', () => {
  it('a remote container added, then removed: the literal ops, and no kernel read at all', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.containerRemoved, ATTACHED);
    const from = fake.calls.length;
    const added = await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast'); // a4 (PENDING on host 2) appears
    expect(added.mode).toBe('fast');
    expect(added.ops).toEqual([
      { kind: 'neigh.add', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', ip: '10.240.0.14', mac: '02:00:0a:f0:00:0e' },
      { kind: 'fdb.add', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', mac: '02:00:0a:f0:00:0e', dst: '100.64.0.2' },
      { kind: 'fdb.add', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', mac: '02:00:0a:f0:00:0e', dst: null },
    ]);
    const removed = await rec.reconcile(STATES.containerRemoved, ATTACHED, 'fast');
    expect(removed.ops).toEqual([
      { kind: 'fdb.del', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', mac: '02:00:0a:f0:00:0e', self: true, dst: '100.64.0.2' },
      { kind: 'fdb.del', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', mac: '02:00:0a:f0:00:0e', self: false, dst: null },
      { kind: 'neigh.del', ns: 't1pn-100', vni: 100, dev: 't1pnv-100', ip: '10.240.0.14' },
    ]);
    expect(reads(fake.calls.slice(from))).toEqual([]);
    expect(fake.calls.slice(from).map((c) => c.argv.join(' '))).toEqual([
      'ip -n t1pn-100 -force -batch -',
      'bridge -n t1pn-100 -force -batch -',
      'bridge -n t1pn-100 -force -batch -',
      'ip -n t1pn-100 -force -batch -',
    ]);
  });

  it('a peer host joining and leaving: one wg set each', async () => {
    const [h1, h2, h3] = H;
    const a1 = container('ctr-a0000001', 'pn-a', h1, '10.240.0.11');
    const a2 = container('ctr-a0000002', 'pn-a', h2, '10.240.0.12');
    const a3 = container('ctr-a0000003', 'pn-a', h3, '10.240.0.13');
    const two = hostConfig(h1, [h1, h2], [network('pn-a', 100, [a1, a2])]);
    const three = hostConfig(h1, H, [network('pn-a', 100, [a1, a2, a3])]);
    const { fake, rec } = fakeAgent();
    await rec.reconcile(two, ATTACHED);
    const joined = await rec.reconcile(three, ATTACHED, 'fast');
    expect(joined.ops.filter((o) => o.kind === 'wg.peers')).toEqual([
      {
        kind: 'wg.peers',
        ifname: 't1pnwg0',
        set: [{ publicKey: `${'C'.repeat(43)}=`, endpoint: '192.0.2.13:51820', allowedIps: ['100.64.0.3/32'], keepalive: 25 }],
        remove: [],
      },
    ]);
    const left = await rec.reconcile(two, ATTACHED, 'fast');
    expect(left.ops.filter((o) => o.kind === 'wg.peers')).toEqual([{ kind: 'wg.peers', ifname: 't1pnwg0', set: [], remove: [`${'C'.repeat(43)}=`] }]);
    expect([...fake.host.wg.get('t1pnwg0')!.peers.keys()]).toEqual([`${'B'.repeat(43)}=`]);
  });

  it('a rotated key: the key alone is set again, never the listen port (wireguard-go would rebind its socket)', async () => {
    const keys = { [KEY_PATH]: H[0].publicKey };
    let publicKey = H[0].publicKey;
    const { fake, rec } = fakeAgent({ publicKey: () => publicKey }, keys);
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    // the agent's switch (agent.ts rotateKey): a new key in the key file, then `wg set … private-key`
    keys[KEY_PATH] = publicKey = `${'N'.repeat(43)}=`;
    await fake.run(['wg', 'set', 't1pnwg0', 'private-key', KEY_PATH]);
    const from = fake.calls.length;
    const pass = await rec.reconcile(STATES.oneNetwork, ATTACHED, 'fast');
    expect(pass.ops).toEqual([{ kind: 'wg.device', ifname: 't1pnwg0', privateKeyPath: KEY_PATH }]);
    expect(fake.calls.slice(from).map((c) => c.argv.join(' '))).toEqual(['wg set t1pnwg0 private-key state/wg.key']);
    expect((await rec.reconcile(STATES.oneNetwork, ATTACHED, 'full')).ops).toEqual([]);
  });

  it('fast and full passes agree: the same walks of states leave identical kernels', async () => {
    const names = Object.keys(STATES);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 12; round++) {
      const walk = Array.from({ length: 6 }, () => names[Math.floor(rand() * names.length)]);
      const full = fakeAgent();
      const fast = fakeAgent();
      for (const s of walk) {
        await full.rec.reconcile(STATES[s], ATTACHED, 'full');
        const r = await fast.rec.reconcile(STATES[s], ATTACHED, 'fast');
        expect(r.failures, walk.join('→')).toEqual([]);
        expect(fast.fake.snapshot(), walk.join('→')).toEqual(full.fake.snapshot());
      }
      const check = await fast.rec.reconcile(STATES[walk.at(-1)!], ATTACHED, 'full');
      expect(check.ops, `${walk.join('→')}: the kernel a fast walk left needs nothing`).toEqual([]);
    }
  });
});

describe('the baseline is dropped on any doubt', () => {
  it('without a baseline a fast pass runs full', async () => {
    const { rec } = fakeAgent();
    expect((await rec.reconcile(STATES.oneNetwork, ATTACHED, 'fast')).mode).toBe('full');
    expect((await rec.reconcile(STATES.oneNetwork, ATTACHED, 'fast')).mode).toBe('fast');
    rec.forgetBaseline();
    expect((await rec.reconcile(STATES.oneNetwork, ATTACHED, 'fast')).mode).toBe('full');
  });

  it('a failed op: the next pass is full and repairs it', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.containerRemoved, ATTACHED);
    fake.failOn = /neigh replace 10\.240\.0\.14 /;
    const r = await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast');
    expect(r.failures).toHaveLength(1);
    fake.failOn = null;
    const next = await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast');
    expect(next.mode).toBe('full');
    expect(next.ops.map((o) => o.kind)).toEqual(['neigh.add']);
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast')).mode).toBe('fast');
  });

  it('a problem (unreadable sandbox) keeps passes full until one is clean', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    fake.failOn = /-n t1pn-100 -j neigh show/;
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    fake.failOn = null;
    const next = await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast');
    expect(next.mode).toBe('full');
    expect(next.failures).toEqual([]);
  });

  it('drift is invisible to fast passes and repaired by the next full one', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.twoNetworks, ATTACHED);
    const ns = fake.named.get('t1pn-100')!;
    ns.neigh = ns.neigh.filter((n) => n.ip !== '10.240.0.12');
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast')).ops).toEqual([]);
    const full = await rec.reconcile(STATES.twoNetworks, ATTACHED, 'full');
    expect(full.ops.map((o) => o.kind)).toEqual(['neigh.add']);
  });

  it('a pass that throws (the host namespace unreadable) leaves no baseline behind', async () => {
    const { fake, rec } = fakeAgent();
    await rec.reconcile(STATES.oneNetwork, ATTACHED);
    fake.failOn = /^ip -j netns list$/;
    await expect(rec.reconcile(STATES.twoNetworks, ATTACHED, 'full')).rejects.toThrow(/injected/);
    fake.failOn = null;
    expect((await rec.reconcile(STATES.twoNetworks, ATTACHED, 'fast')).mode).toBe('full');
  });
});
