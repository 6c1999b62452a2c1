/**
 * What the host DNS answers for a name inside one network (DESIGN §3), as a pure function of the
 * network model. The API's `resolve` query and the agent's DNS zone both follow these rules.
 *
 *   <app>.<pn>.private-network.internal          → RUNNING containers of the app's default type
 *   <type>.<app>.<pn>.private-network.internal   → RUNNING containers of that type
 *   <n>.<type>.<app>.<pn>.private-network.internal → that one container, if RUNNING
 * Only RUNNING containers have records. A name that exists (an application, a process type with
 * containers, a container in any state, or an empty non-terminal) but has no A record is NODATA;
 * anything else under the zone — including every name of another network — is NXDOMAIN.
 */
import type { ContainerModel, NetworkModel } from '../../agent/model.ts';
import { ZONE } from './names.ts';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface ResolveAnswer {
  rcode: Rcode;
  records: { name: string; type: 'A'; ttl: number; data: string }[];
}

const byIp = (a: ContainerModel, b: ContainerModel) => a.ip.localeCompare(b.ip, 'en', { numeric: true });

/** Resolves `name` (any case, with or without the trailing dot) for record type `type` in `network`. */
export function resolveName(network: NetworkModel, name: string, type: string): ResolveAnswer {
  const fqdn = name.toLowerCase().replace(/\.$/, '');
  if (fqdn !== ZONE && !fqdn.endsWith(`.${ZONE}`)) return { rcode: 'REFUSED', records: [] };
  const labels = fqdn === ZONE ? [] : fqdn.slice(0, -ZONE.length - 1).split('.');
  const nodata: ResolveAnswer = { rcode: 'NOERROR', records: [] };
  const nx: ResolveAnswer = { rcode: 'NXDOMAIN', records: [] };
  if (labels.length === 0) return nodata; // the zone apex
  if (labels[labels.length - 1] !== network.id) return nx; // another network, or nothing
  if (labels.length === 1) return nodata; // <pn>: empty non-terminal
  const app = network.applications.find((a) => a.id === labels[labels.length - 2]);
  if (!app || labels.length > 4) return nx;
  const ofApp = network.containers.filter((c) => c.applicationId === app.id);
  let matched: ContainerModel[];
  if (labels.length === 2) {
    matched = ofApp.filter((c) => c.processType === app.defaultProcessType);
  } else if (labels.length === 3) {
    matched = ofApp.filter((c) => c.processType === labels[0]);
    if (matched.length === 0) return nx;
  } else {
    matched = ofApp.filter((c) => c.processType === labels[1] && String(c.number) === labels[0]);
    if (matched.length === 0) return nx;
  }
  const running = matched.filter((c) => c.state === 'RUNNING').sort(byIp);
  if (type.toUpperCase() !== 'A' && type.toUpperCase() !== 'ANY') return nodata;
  return { rcode: 'NOERROR', records: running.map((c) => ({ name: fqdn, type: 'A' as const, ttl: network.dnsTtl, data: c.ip })) };
}
