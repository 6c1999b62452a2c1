/**
 * A small, fixed host model for DNS tests and the benchmark.
 *
 * Owns: nothing at run time — it is data. Two networks reuse one CIDR on purpose: the same IP in
 * both proves answers come from the receiving socket's network, not from the address.
 */
import { macOf } from '../../protocol/addressing/ipv4.ts';
import type { ContainerModel, ContainerState, NetworkModel } from '../../protocol/model.ts';

function ctr(net: string, _vni: number, app: string, type: string, n: number, ip: string, state: ContainerState = 'RUNNING'): ContainerModel {
  return {
    id: `ctr-${app}-${type}-${n}`,
    applicationId: app,
    processType: type,
    number: n,
    hostId: 'host-1',
    hostMeshIp: '100.64.0.1',
    ip,
    mac: macOf(ip), // the API's rule
    state,
    hostname: `${n}.${type}.${app}.${net}.private-network.internal`,
  };
}

/** Network A: `ap-shop` (web ×2, worker ×1 + one DRAINING, one PENDING web), `ap-api` (default type backend), `ap-idle` (no containers). */
export function sampleNetworkA(): NetworkModel {
  const net = 'pn-aaaa';
  return {
    id: net,
    projectId: 'prj-a',
    vni: 100,
    cidr: '10.240.0.0/22',
    gateway: '10.240.0.1',
    dnsTtl: 5,
    applications: [
      { id: 'ap-shop', name: 'shop', defaultProcessType: 'web' },
      { id: 'ap-api', name: 'api', defaultProcessType: 'backend' },
      { id: 'ap-idle', name: 'idle', defaultProcessType: 'web' },
    ],
    containers: [
      ctr(net, 100, 'ap-shop', 'web', 1, '10.240.0.4'),
      ctr(net, 100, 'ap-shop', 'web', 2, '10.240.0.5'),
      ctr(net, 100, 'ap-shop', 'web', 3, '10.240.0.8', 'PENDING'),
      ctr(net, 100, 'ap-shop', 'worker', 1, '10.240.0.6'),
      ctr(net, 100, 'ap-shop', 'worker', 2, '10.240.0.7', 'DRAINING'),
      ctr(net, 100, 'ap-api', 'backend', 1, '10.240.0.9'),
    ],
  };
}

/** Network B: the same CIDR, one app `ap-other` with one web container at A's 10.240.0.4. */
export function sampleNetworkB(): NetworkModel {
  const net = 'pn-bbbb';
  return {
    id: net,
    projectId: 'prj-b',
    vni: 200,
    cidr: '10.240.0.0/22',
    gateway: '10.240.0.1',
    dnsTtl: 30,
    applications: [{ id: 'ap-other', name: 'other', defaultProcessType: 'web' }],
    containers: [ctr(net, 200, 'ap-other', 'web', 1, '10.240.0.4')],
  };
}

/** A network whose one app has `count` RUNNING web containers: for size limits and benchmarks. */
export function wideNetwork(id: string, vni: number, count: number, dnsTtl = 5): NetworkModel {
  const containers: ContainerModel[] = [];
  for (let i = 0; i < count; i++) containers.push(ctr(id, vni, 'ap-wide', 'web', i + 1, `10.241.${Math.floor(i / 250)}.${(i % 250) + 2}`));
  return {
    id, projectId: `prj-${id}`, vni, cidr: '10.241.0.0/16', gateway: '10.241.0.1', dnsTtl,
    applications: [{ id: 'ap-wide', name: 'wide', defaultProcessType: 'web' }],
    containers,
  };
}
