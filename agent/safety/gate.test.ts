import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { container, host, hostConfig, network } from '../../test/support/model.ts';
import { countObjects } from './brake.ts';
import { SafetyGate, statedRemovals } from './gate.ts';

// Host 1 holds 2 networks of 5 containers (2 local, 3 on hosts 2 and 3) and 2 peers: 14 objects.
const hosts = [host(1, 'k1'), host(2, 'k2'), host(3, 'k3')];
const net = (id: string, vni: number, third: number) =>
  network(
    id,
    vni,
    [1, 2, 3, 4, 5].map((i) => container(`ctr-${id}-${i}`, id, hosts[i <= 2 ? 0 : i === 3 ? 1 : 2], `10.${third}.0.${i + 1}`, 'RUNNING', i)),
    `10.${third}.0.0/22`,
    `10.${third}.0.1`,
  );
const full = (revision = 10, generation = 'gen-a'): HostConfig => ({
  ...hostConfig(hosts[0], hosts, [net('pn-a', 1, 240), net('pn-b', 2, 241)], revision),
  generation,
});
const empty = (revision = 11, generation = 'gen-a'): HostConfig => ({ ...full(revision, generation), networks: [], peers: [] });
const without = (c: HostConfig, ids: string[], revision = c.revision + 1): HostConfig => ({
  ...c,
  revision,
  networks: c.networks.map((n) => ({ ...n, containers: n.containers.filter((x) => !ids.includes(x.id)) })),
});
const ids = (m: HostConfig | null) => (m ? m.networks.flatMap((n) => n.containers.map((c) => c.id)).length + m.networks.length + m.peers.length : 0);
const T0 = 1_000_000;

describe('safety gate: brake v2', () => {
  it('the world holds 14 objects', () => expect(countObjects(full())).toBe(14));

  it.each([
    // [name, next snapshot, served objects after, brake engaged, near-empty]
    ['a relist lacking 2 containers (14%) applies at once', without(full(), ['ctr-pn-a-3', 'ctr-pn-b-3']), 12, false, false],
    [
      'a relist lacking 8 containers (57%) is held',
      without(full(), ['ctr-pn-a-1', 'ctr-pn-a-2', 'ctr-pn-a-3', 'ctr-pn-a-4', 'ctr-pn-b-1', 'ctr-pn-b-2', 'ctr-pn-b-3', 'ctr-pn-b-4']),
      14,
      true,
      false,
    ],
    ['an empty snapshot is held, near-empty', empty(), 14, true, true],
  ] as const)('%s', (_name, next, served, engaged, nearEmpty) => {
    const gate = new SafetyGate(full());
    gate.update(next, 'snapshot', T0);
    expect(ids(gate.model())).toBe(served);
    expect(gate.model()!.revision).toBe(next.revision);
    expect(gate.status().brake?.nearEmpty ?? null).toBe(engaged ? nearEmpty : null);
  });

  it.each([
    // a host holding 1 network, 3 containers and 1 peer (5 objects: below minObjects)
    ['an empty snapshot of a small host is held all the same (near-empty holds at any size)', 0, 5, true],
    ['a small host losing 2 of its 3 containers to a relist applies it (below minObjects)', 2, 3, false],
  ] as const)('%s', (_name, keep, served, engaged) => {
    const small: HostConfig = {
      ...hostConfig(
        hosts[0],
        hosts,
        [net('pn-a', 1, 240)].map((n) => ({ ...n, containers: n.containers.slice(0, 3) })),
        10,
      ),
      generation: 'gen-a',
    };
    expect(countObjects(small)).toBe(5);
    const next: HostConfig =
      keep === 0
        ? { ...small, revision: 11, networks: [], peers: [] }
        : { ...small, revision: 11, networks: small.networks.map((n) => ({ ...n, containers: n.containers.slice(0, 1) })) };
    const gate = new SafetyGate(small);
    gate.update(next, 'snapshot', T0);
    expect(ids(gate.model())).toBe(served);
    expect(gate.status().brake !== null).toBe(engaged);
  });

  it('the same removals as explicit deltas apply at once, whatever their number', () => {
    const gate = new SafetyGate(full());
    let m = full();
    for (const id of ['ctr-pn-a-1', 'ctr-pn-a-2', 'ctr-pn-a-3', 'ctr-pn-a-4', 'ctr-pn-a-5', 'ctr-pn-b-1', 'ctr-pn-b-2', 'ctr-pn-b-3']) {
      m = without(m, [id]);
      gate.update(m, 'delta', T0);
    }
    expect(gate.status().brake).toBeNull();
    expect(ids(gate.model())).toBe(6);
  });

  it('while held, additions and updates of the snapshot still apply', () => {
    const gate = new SafetyGate(full());
    const next = empty();
    next.networks = [network('pn-c', 3, [container('ctr-new', 'pn-c', hosts[0], '10.242.0.2')], '10.242.0.0/22', '10.242.0.1')];
    gate.update(next, 'snapshot', T0);
    expect(gate.model()!.networks.map((n) => n.id)).toEqual(['pn-a', 'pn-b', 'pn-c']);
  });

  it('a delta that states no removal releases nothing; the API listing the held objects again releases them all', () => {
    const gate = new SafetyGate(full());
    const lacking = without(full(), ['ctr-pn-a-1', 'ctr-pn-a-2', 'ctr-pn-a-3', 'ctr-pn-a-4', 'ctr-pn-a-5', 'ctr-pn-b-1', 'ctr-pn-b-2', 'ctr-pn-b-3']);
    gate.update(lacking, 'snapshot', T0);
    expect(gate.status().brake?.objectsHeld).toBe(8);
    gate.update({ ...lacking, revision: 12 }, 'delta', T0);
    expect(gate.status().brake?.objectsHeld).toBe(8); // nothing explicit yet: same model
    const readded = { ...lacking, revision: 13, networks: full().networks }; // the API lists them again
    gate.update(readded, 'delta', T0);
    expect(gate.status().brake).toBeNull(); // everything it held is the API's own again
    expect(ids(gate.model())).toBe(14);
  });

  it('container.removed deltas for every held container release the brake (the API confirms the removals)', () => {
    const gone = ['ctr-pn-a-1', 'ctr-pn-a-2', 'ctr-pn-a-3', 'ctr-pn-a-4', 'ctr-pn-b-1', 'ctr-pn-b-2', 'ctr-pn-b-3', 'ctr-pn-b-4'];
    const gate = new SafetyGate(full());
    const lacking = without(full(), gone);
    gate.update(lacking, 'snapshot', T0);
    expect(gate.status().brake?.objectsHeld).toBe(8);
    // The relisted model already lacks them: each delta leaves the model as it is and states its removal.
    for (const [i, id] of gone.entries()) {
      const row = { kind: 'container.removed', networkId: id.slice(4, 8), payload: { containerId: id } };
      gate.update({ ...lacking, revision: 12 + i }, 'delta', T0, statedRemovals(row));
      expect(gate.status().brake?.objectsHeld ?? 0).toBe(7 - i);
    }
    expect(ids(gate.model())).toBe(6);
  });

  it.each([
    ['container.removed', { containerId: 'ctr-1' }, [{ kind: 'container', id: 'ctr-1' }]],
    ['network.left', { networkId: 'pn-1' }, [{ kind: 'network', id: 'pn-1' }]],
    ['peer.removed', { hostId: 'host-2' }, [{ kind: 'peer', id: 'host-2' }]],
    ['application.deleted', { applicationId: 'ap-1', name: 'a' }, [{ kind: 'application', id: 'ap-1' }]],
    ['container.draining', { container: {} }, []],
  ] as const)('a %s row states %j', (kind, payload, expected) => {
    expect(statedRemovals({ kind, networkId: 'pn-1', payload })).toEqual(expected);
  });

  it.each([
    [
      'a partial hold is released by time after confirmAfterMs',
      without(full(), ['ctr-pn-a-1', 'ctr-pn-a-2', 'ctr-pn-a-3', 'ctr-pn-a-4', 'ctr-pn-a-5', 'ctr-pn-b-1', 'ctr-pn-b-2', 'ctr-pn-b-3']),
      [59_999, 14],
      [60_000, 6],
    ],
    ['a near-empty hold is never released by time', empty(), [60_000, 14], [10 * 3600_000, 14]],
  ] as const)('%s', (_name, next, [t1, served1], [t2, served2]) => {
    const gate = new SafetyGate(full());
    gate.update(next, 'snapshot', T0);
    gate.tick(T0 + t1);
    expect(ids(gate.model())).toBe(served1);
    gate.tick(T0 + t2);
    expect(ids(gate.model())).toBe(served2);
  });

  it('an operator confirm releases a near-empty hold; confirm with nothing held releases nothing', () => {
    const gate = new SafetyGate(full());
    expect(gate.confirm()).toBe(0);
    gate.update(empty(), 'snapshot', T0);
    expect(gate.confirm()).toBe(14);
    expect(ids(gate.model())).toBe(0);
    expect(gate.status().brake).toBeNull();
  });

  it('a first start (no last-known-good) has nothing to protect: the snapshot applies', () => {
    const gate = new SafetyGate(null);
    gate.update(empty(), 'snapshot', T0);
    expect(gate.status().brake).toBeNull();
  });
});

describe('safety gate: fencing', () => {
  it.each([
    // [name, what the API answers, fence reason]
    ['another generation', full(10, 'gen-b'), 'GENERATION_CHANGED'],
    ['a revision below the applied one (restored backup)', full(7, 'gen-a'), 'REVISION_BACKWARDS'],
    ['an empty database (new generation, revision 0)', empty(0, 'gen-b'), 'GENERATION_CHANGED'],
  ] as const)('%s fences: nothing changes', (_name, seen, reason) => {
    const gate = new SafetyGate(full());
    const before = gate.model();
    expect(gate.update(seen, 'snapshot', T0)).toBe(false);
    expect(gate.model()).toBe(before);
    expect(gate.status().fence).toEqual({
      reason,
      trusted: { generation: 'gen-a', revision: 10 },
      seen: { generation: seen.generation, revision: seen.revision },
      since: T0,
    });
    // Deltas of the fenced API change nothing either.
    expect(gate.update(without(seen, ['ctr-pn-a-1']), 'delta', T0)).toBe(false);
    expect(gate.model()).toBe(before);
  });

  it('the trusted database coming back lifts the fence', () => {
    const gate = new SafetyGate(full());
    gate.update(full(5, 'gen-a'), 'snapshot', T0);
    expect(gate.status().fence?.reason).toBe('REVISION_BACKWARDS');
    gate.update(without(full(12), ['ctr-pn-a-5']), 'snapshot', T0);
    expect(gate.status().fence).toBeNull();
    expect(ids(gate.model())).toBe(13);
  });

  it('accepting an empty new generation lifts the fence, and the brake then holds its near-empty state', () => {
    const gate = new SafetyGate(full());
    gate.update(empty(0, 'gen-b'), 'snapshot', T0);
    expect(gate.acceptGeneration(T0)).toEqual({ generation: 'gen-b', revision: 0 });
    expect(gate.status().fence).toBeNull();
    expect(gate.status().brake?.nearEmpty).toBe(true);
    expect(ids(gate.model())).toBe(14);
    expect(gate.model()!.generation).toBe('gen-b');
    expect(gate.confirm()).toBe(14);
    expect(ids(gate.model())).toBe(0);
  });

  it('accept-generation when not fenced does nothing', () => {
    const gate = new SafetyGate(full());
    expect(gate.acceptGeneration(T0)).toBeNull();
  });

  it('a saved model without a generation (older agent) adopts the first generation it sees', () => {
    const old = { ...full(), generation: undefined as unknown as string };
    const gate = new SafetyGate(old);
    gate.update(full(11, 'gen-a'), 'snapshot', T0);
    expect(gate.status().fence).toBeNull();
    expect(gate.model()!.generation).toBe('gen-a');
  });
});
