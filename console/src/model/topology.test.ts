import { describe, expect, it } from 'vitest';
import type { HostConvergenceResult } from '../api/types.ts';
import type { ContainerRow } from './containers.ts';
import { buildTopology, topologyElements } from './topology.ts';

const member = (hostId: string, hostName: string, healthy: boolean | null, pendingChanges = 0): HostConvergenceResult => ({
  hostId,
  hostName,
  appliedRevision: 10,
  pendingChanges,
  healthy,
  message: null,
  lastReportAt: null,
});
const ctr = (id: string, processType: string, number: number, ip: string, state: ContainerRow['state'], hostId: string | null): ContainerRow => ({
  id,
  applicationId: 'ap-1',
  processType,
  number,
  ip,
  state,
  hostname: `${number}.${processType}.ap-1.pn-1.private-network.internal`,
  hostId,
});

describe('buildTopology', () => {
  it('admin: hosts with mesh IPs and health, containers inside them, a peering per pair of hosts', () => {
    const t = buildTopology({
      containers: [
        ctr('c1', 'web', 1, '10.240.0.2', 'RUNNING', 'h1'),
        ctr('c2', 'web', 2, '10.240.0.3', 'PENDING', 'h3'),
        ctr('c3', 'worker', 1, '10.240.0.4', 'DRAINING', 'h2'),
      ],
      appNames: { 'ap-1': 'api' },
      members: [member('h1', 'host-1', true), member('h2', 'host-2', false, 3)],
      hosts: [
        { id: 'h1', name: 'host-1', meshIp: '100.64.0.1', liveness: 'UP' },
        { id: 'h2', name: 'host-2', meshIp: '100.64.0.2', liveness: 'UP' },
        { id: 'h3', name: 'host-3', meshIp: '100.64.0.3', liveness: 'DOWN' },
      ],
    });
    expect(t).toEqual({
      hosts: [
        { id: 'h1', name: 'host-1', meshIp: '100.64.0.1', health: 'healthy', pendingChanges: 0 },
        { id: 'h2', name: 'host-2', meshIp: '100.64.0.2', health: 'unhealthy', pendingChanges: 3 },
        { id: 'h3', name: 'host-3', meshIp: '100.64.0.3', health: 'down', pendingChanges: 0 },
      ],
      containers: [
        { id: 'c1', parent: 'h1', label: 'api web.1', app: 'api', processType: 'web', number: 1, ip: '10.240.0.2', state: 'RUNNING' },
        { id: 'c2', parent: 'h3', label: 'api web.2', app: 'api', processType: 'web', number: 2, ip: '10.240.0.3', state: 'PENDING' },
        { id: 'c3', parent: 'h2', label: 'api worker.1', app: 'api', processType: 'worker', number: 1, ip: '10.240.0.4', state: 'DRAINING' },
      ],
      peerings: [
        { id: 'vxlan:h1|h2', source: 'h1', target: 'h2' },
        { id: 'vxlan:h1|h3', source: 'h1', target: 'h3' },
        { id: 'vxlan:h2|h3', source: 'h2', target: 'h3' },
      ],
    });
  });

  it('user: member hosts by name only, containers in the hidden-placement group, as cytoscape elements', () => {
    const t = buildTopology({
      containers: [ctr('c1', 'web', 1, '10.240.0.2', 'RUNNING', null)],
      appNames: {},
      members: [member('h2', 'host-2', null, -1)],
      hosts: null,
    });
    expect(topologyElements(t)).toEqual([
      { group: 'nodes', data: { id: 'h2', label: 'host-2' }, classes: 'host unknown behind' },
      { group: 'nodes', data: { id: 'placement-hidden', label: 'hosts hidden (admin only)' }, classes: 'host hidden' },
      { group: 'nodes', data: { id: 'c1', parent: 'placement-hidden', label: 'ap-1 web.1\n10.240.0.2' }, classes: 'container running' },
    ]);
  });

  it('an empty network has no elements', () => {
    expect(topologyElements(buildTopology({ containers: [], appNames: {}, members: [], hosts: [] }))).toEqual([]);
  });
});
