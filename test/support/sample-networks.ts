/**
 * A small, fixed host model for DNS tests and the benchmark.
 *
 * Owns: nothing at run time — it is data. Two networks reuse one CIDR on purpose: the same IP in
 * both proves answers come from the receiving socket's network, not from the address.
 */
import type { ContainerModel, ContainerState, NetworkModel } from '../../protocol/model.ts';
import { container, network } from './model.ts';

/** Every sample container runs on host 1. */
const HOST_1 = { id: 'host-1', meshIp: '100.64.0.1' };

const ctr = (net: string, app: string, type: string, n: number, ip: string, state: ContainerState = 'RUNNING'): ContainerModel =>
  container(`ctr-${app}-${type}-${n}`, net, HOST_1, ip, state, n, { applicationId: app, processType: type });

/** Network A: `ap-shop` (web ×2, worker ×1 + one DRAINING, one PENDING web), `ap-api` (default type backend), `ap-idle` (no containers). */
export function sampleNetworkA(): NetworkModel {
  const net = 'pn-aaaa';
  const applications = [
    { id: 'ap-shop', name: 'shop', defaultProcessType: 'web' },
    { id: 'ap-api', name: 'api', defaultProcessType: 'backend' },
    { id: 'ap-idle', name: 'idle', defaultProcessType: 'web' },
  ];
  const containers = [
    ctr(net, 'ap-shop', 'web', 1, '10.240.0.4'),
    ctr(net, 'ap-shop', 'web', 2, '10.240.0.5'),
    ctr(net, 'ap-shop', 'web', 3, '10.240.0.8', 'PENDING'),
    ctr(net, 'ap-shop', 'worker', 1, '10.240.0.6'),
    ctr(net, 'ap-shop', 'worker', 2, '10.240.0.7', 'DRAINING'),
    ctr(net, 'ap-api', 'backend', 1, '10.240.0.9'),
  ];
  return network(net, 100, containers, '10.240.0.0/22', '10.240.0.1', { projectId: 'prj-a', applications });
}

/** Network B: the same CIDR, one app `ap-other` with one web container at A's 10.240.0.4. */
export function sampleNetworkB(): NetworkModel {
  const net = 'pn-bbbb';
  const applications = [{ id: 'ap-other', name: 'other', defaultProcessType: 'web' }];
  return network(net, 200, [ctr(net, 'ap-other', 'web', 1, '10.240.0.4')], '10.240.0.0/22', '10.240.0.1', { projectId: 'prj-b', dnsTtl: 30, applications });
}

/** A network whose one app has `count` RUNNING web containers: for size limits and benchmarks. */
export function wideNetwork(id: string, vni: number, count: number, dnsTtl = 5): NetworkModel {
  const containers: ContainerModel[] = [];
  for (let i = 0; i < count; i++) containers.push(ctr(id, 'ap-wide', 'web', i + 1, `10.241.${Math.floor(i / 250)}.${(i % 250) + 2}`));
  return network(id, vni, containers, '10.241.0.0/16', '10.241.0.1', { dnsTtl, applications: [{ id: 'ap-wide', name: 'wide', defaultProcessType: 'web' }] });
}
