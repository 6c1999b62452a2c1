/**
 * DNS-facing names: label validation, private hostnames and the container environment. Pure.
 */
import { containerHostname as hostnameOf } from '../../protocol/compact.ts';
import { badInput } from './errors.ts';

export const ZONE = 'private-network.internal';
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Throws BAD_USER_INPUT unless `value` is a lowercase DNS label. */
export function assertLabel(field: string, value: string): string {
  if (!LABEL.test(value)) {
    throw badInput(`${field} "${value}" must be a DNS label: 1-63 characters of a-z, 0-9 and "-", not starting or ending with "-"`, { field });
  }
  return value;
}

/** Process types reachable from the public router unless switched: Scalingo's rule. */
export function defaultExposure(processType: string): 'PUBLIC' | 'PRIVATE' {
  return processType === 'web' || processType === 'tcp' ? 'PUBLIC' : 'PRIVATE';
}

/** `<n>.<type>.<app>.<network>.private-network.internal`, without the trailing dot (protocol/compact.ts). */
export function containerHostname(c: { number: number; processType: string; applicationId: string; networkId: string }): string {
  return hostnameOf(c, c.networkId);
}

/** Every name an application has, most general first (like `private-networks-domain-names`). */
export function applicationNames(
  app: { id: string; networkId: string },
  processTypes: string[],
  containers: { number: number; processType: string }[],
): string[] {
  const base = `${app.id}.${app.networkId}.${ZONE}`;
  const typeNames = [...new Set(processTypes)].sort().map((type) => `${type}.${base}`);
  const containerNames = [...containers]
    .sort((a, b) => a.processType.localeCompare(b.processType) || a.number - b.number)
    .map((c) => `${c.number}.${c.processType}.${base}`);
  return [base, ...typeNames, ...containerNames];
}

/** The environment a container receives; the prefix is configurable for platforms other than Scalingo. */
export function containerEnvironment(prefix: string, c: { applicationId: string; networkId: string; hostname: string }): Record<string, string> {
  return {
    [`${prefix}APPLICATION_ID`]: c.applicationId,
    [`${prefix}PRIVATE_NETWORK_ID`]: c.networkId,
    [`${prefix}PRIVATE_HOSTNAME`]: c.hostname,
  };
}

/** Lowest positive integer not in `taken`: container numbers are reused lowest-first. */
export function lowestFreeNumber(taken: Iterable<number>): number {
  const set = new Set(taken);
  let n = 1;
  while (set.has(n)) n++;
  return n;
}
