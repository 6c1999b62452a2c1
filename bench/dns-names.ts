/**
 * The benchmark's model: `count` RUNNING web containers, 10 per application, in one network; each
 * app's web type declares `http` (8080/TCP), so `_http._tcp.web.<app>` answers 10 SRV records and
 * `_instances.<app>` 10 TXT records.
 */
import type { ContainerModel, NetworkModel } from '../protocol/model.ts';
import { container, network } from '../test/support/model.ts';

const HOST_1 = { id: 'host-1', meshIp: '100.64.0.1' };

export function benchNetwork(count: number): NetworkModel {
  const containers: ContainerModel[] = [];
  const apps = new Set<string>();
  for (let i = 0; i < count; i++) {
    const app = `ap-bench${String(Math.floor(i / 10)).padStart(4, '0')}`;
    apps.add(app);
    containers.push(
      container(`ctr-${i}`, 'pn-bench', HOST_1, `10.242.${Math.floor(i / 250)}.${(i % 250) + 2}`, 'RUNNING', (i % 10) + 1, { applicationId: app }),
    );
  }
  const applications = [...apps].map((id) => ({ id, name: id, defaultProcessType: 'web' }));
  const ports = [...apps].map((applicationId) => ({ applicationId, processType: 'web', name: 'http', port: 8080, protocol: 'TCP' as const }));
  return { ...network('pn-bench', 9, containers, '10.242.0.0/16', '10.242.0.1', { projectId: 'prj-bench', applications }), ports };
}
