import { describe, expect, it } from 'vitest';
import type { ContainerModel, HostConfig } from '../../protocol/model.ts';
import { type AgentDelta, applyChange, applyDelta } from './apply-delta.ts';

const ctr = (id: string, ip: string, over: Partial<ContainerModel> = {}): ContainerModel => ({
  id,
  applicationId: 'ap-1',
  processType: 'web',
  number: 1,
  hostId: 'host-2',
  hostMeshIp: '100.64.0.2',
  ip,
  mac: '02:00:0a:f0:00:02',
  state: 'PENDING',
  hostname: 'h',
  ...over,
});
const base: HostConfig = {
  revision: 10,
  generation: 'gen-1',
  host: { id: 'host-1', name: 'h1', meshIp: '100.64.0.1', meshCidr: '100.64.0.0/16', endpoint: '192.0.2.1:51820', publicKey: 'k' },
  peers: [{ hostId: 'host-2', name: 'h2', publicKey: 'k2', endpoint: '192.0.2.2:51820', meshIp: '100.64.0.2' }],
  networks: [
    {
      id: 'pn-1',
      projectId: 'prj-1',
      vni: 7,
      cidr: '10.240.0.0/22',
      gateway: '10.240.0.1',
      dnsTtl: 5,
      downHosts: [],
      applications: [{ id: 'ap-1', name: 'a', defaultProcessType: 'web' }],
      containers: [ctr('c1', '10.240.0.2', { hostId: 'host-1' })],
    },
  ],
};

const removed = { containerId: 'c1', applicationId: 'ap-1', processType: 'web', number: 1, hostId: 'host-1', ip: '10.240.0.2' };

const cases: [string, AgentDelta, (c: HostConfig) => unknown, unknown][] = [
  [
    'created remote container appears',
    { revision: 11, kind: 'container.created', networkId: 'pn-1', container: ctr('c2', '10.240.0.10') },
    (c) => c.networks[0].containers.map((x) => x.id),
    ['c1', 'c2'],
  ],
  [
    'running replaces the same id',
    { revision: 11, kind: 'container.running', networkId: 'pn-1', container: ctr('c1', '10.240.0.2', { hostId: 'host-1', state: 'RUNNING' }) },
    (c) => c.networks[0].containers.map((x) => x.state),
    ['RUNNING'],
  ],
  ['removed container goes', { revision: 11, kind: 'container.removed', networkId: 'pn-1', ...removed }, (c) => c.networks[0].containers, []],
  ['network left drops the network', { revision: 11, kind: 'network.left', networkId: 'pn-1' }, (c) => c.networks, []],
  [
    'peer upserted replaces',
    { revision: 11, kind: 'peer.upserted', peer: { hostId: 'host-2', name: 'h2', publicKey: 'k3', endpoint: '192.0.2.9:51820', meshIp: '100.64.0.2' } },
    (c) => c.peers.map((p) => p.publicKey),
    ['k3'],
  ],
  ['peer removed', { revision: 11, kind: 'peer.removed', hostId: 'host-2' }, (c) => c.peers, []],
  [
    'default type changes',
    { revision: 11, kind: 'application.updated', networkId: 'pn-1', application: { id: 'ap-1', name: 'a', defaultProcessType: 'worker' } },
    (c) => c.networks[0].applications[0].defaultProcessType,
    'worker',
  ],
  [
    'change of a network we are not in is ignored',
    { revision: 11, kind: 'container.created', networkId: 'pn-9', container: ctr('c9', '10.0.0.2') },
    (c) => c.networks.length,
    1,
  ],
];

describe('applyDelta', () => {
  it.each(cases)('%s', (_name, delta, pick, expected) => {
    const result = applyDelta(base, delta);
    expect(result.kind).toBe('applied');
    if (result.kind !== 'applied') return;
    expect(pick(result.config)).toEqual(expected);
    expect(result.config.revision).toBe(11);
  });
  it('does not mutate its input', () => {
    const copy = structuredClone(base);
    applyDelta(base, { revision: 11, kind: 'container.removed', networkId: 'pn-1', ...removed });
    expect(base).toEqual(copy);
  });
  it('asks for a relist when this host joins a network', () => {
    expect(applyDelta(base, { revision: 11, kind: 'network.joined', networkId: 'pn-2' }).kind).toBe('relist');
    expect(applyDelta(base, { revision: 11, kind: 'container.created', networkId: 'pn-2', container: ctr('c5', '10.0.0.5', { hostId: 'host-1' }) }).kind).toBe(
      'relist',
    );
  });
});

describe('applyChange', () => {
  const row = (kind: string, payload: Record<string, unknown>, networkId: string | null = 'pn-1') => ({ revision: 11, kind, networkId, payload });
  it('parses a row and applies it', () => {
    const result = applyChange(base, row('container.removed', removed));
    expect(result).toEqual({ kind: 'applied', config: { ...base, revision: 11, networks: [{ ...base.networks[0], containers: [] }] } });
  });
  it.each([
    ['a kind it does not know', row('network.renamed', { networkId: 'pn-1', name: 'x' })],
    [
      'a kind that does not apply to agents',
      row('project.created', { projectId: 'prj-1', networkId: 'pn-1', name: 'p', vni: 7, cidr: '10.240.0.0/22', gateway: '10.240.0.1', dnsTtl: 5 }),
    ],
  ])('skips %s, advancing the revision only', (_name, change) => {
    expect(applyChange(base, change)).toEqual({ kind: 'applied', config: { ...base, revision: 11 } });
  });
  it('applies network.updated (TTL and aliases) and process.ports_changed (issue 19)', () => {
    const aliases = [{ name: 'db', applicationId: 'ap-1', processType: null }];
    const updated = applyChange(base, row('network.updated', { dnsTtl: 30, aliases, multicast: 'OFF' }));
    expect(updated.kind === 'applied' && updated.config.networks[0]).toMatchObject({ dnsTtl: 30, aliases, multicast: 'OFF' });
    const ported = applyChange(
      base,
      row('process.ports_changed', { applicationId: 'ap-1', processType: 'web', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    );
    expect(ported.kind === 'applied' && ported.config.networks[0].ports).toEqual([
      { applicationId: 'ap-1', processType: 'web', name: 'http', port: 80, protocol: 'TCP' },
    ]);
    if (ported.kind !== 'applied') return;
    const cleared = applyChange(ported.config, row('process.ports_changed', { applicationId: 'ap-1', processType: 'web', ports: [] }));
    expect(cleared.kind === 'applied' && cleared.config.networks[0].ports).toEqual([]);
    const gone = applyChange(ported.config, row('application.deleted', { applicationId: 'ap-1', name: 'a' }));
    expect(gone.kind === 'applied' && gone.config.networks[0].ports).toEqual([]);
  });
  it('applies network.updated ipv6 (issue 21): {cidr, gateway} switches ON, null OFF, absent keeps what the network had', () => {
    const ipv6 = { cidr: 'fd77:6674:0:7::/64', gateway: 'fd77:6674:0:7::1' };
    const on = applyChange(base, row('network.updated', { dnsTtl: 5, aliases: [], multicast: 'ON', ipv6 }));
    expect(on.kind === 'applied' && on.config.networks[0].ipv6).toEqual(ipv6);
    if (on.kind !== 'applied') return;
    const older = applyChange(on.config, row('network.updated', { dnsTtl: 7, aliases: [], multicast: 'ON' }));
    expect(older.kind === 'applied' && older.config.networks[0]).toMatchObject({ dnsTtl: 7, ipv6 });
    const off = applyChange(on.config, row('network.updated', { dnsTtl: 5, aliases: [], multicast: 'ON', ipv6: null }));
    expect(off.kind === 'applied' && 'ipv6' in off.config.networks[0]).toBe(false);
  });
  it('lists again on a row it cannot read instead of applying it', () => {
    expect(applyChange(base, row('container.removed', { containerId: 'c1' })).kind).toBe('relist');
    expect(applyChange(base, row('container.running', { container: ctr('c1', '10.240.0.2') }, null)).kind).toBe('relist');
  });
});
