/** The benchmark's model: `count` RUNNING web containers, 10 per application, in one network. */
import type { ContainerModel, NetworkModel } from '../protocol/model.ts';

export function benchNetwork(count: number): NetworkModel {
  const containers: ContainerModel[] = [];
  const apps = new Set<string>();
  for (let i = 0; i < count; i++) {
    const app = `ap-bench${String(Math.floor(i / 10)).padStart(4, '0')}`;
    apps.add(app);
    const ip = `10.242.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    containers.push({
      id: `ctr-${i}`, applicationId: app, processType: 'web', number: (i % 10) + 1, hostId: 'host-1', hostMeshIp: '100.64.0.1',
      ip, mac: `02:00:${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':')}`, state: 'RUNNING', hostname: `${(i % 10) + 1}.web.${app}.pn-bench.private-network.internal`,
    });
  }
  return {
    id: 'pn-bench', projectId: 'prj-bench', vni: 9, cidr: '10.242.0.0/16', gateway: '10.242.0.1', dnsTtl: 5,
    applications: [...apps].map((id) => ({ id, name: id, defaultProcessType: 'web' })),
    containers,
  };
}
