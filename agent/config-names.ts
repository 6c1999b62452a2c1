/**
 * Names of every kernel object the agent creates.
 *
 * Owns: the naming scheme (docs/architecture.md §4.10) and the ownership marker written to `ifalias`.
 * Never: decides what exists — only what things are called.
 * Why a prefix: named network namespaces (/run/netns) and the wireguard-go UAPI socket directory
 * (/var/run/wireguard) are machine-wide, so several agents on one machine (tests, demo) must not
 * collide. Interface names are limited to 15 bytes (IFNAMSIZ - 1): with `pnb-<vni>` at most 12
 * characters, the prefix may hold at most 3.
 */

export const IFNAME_MAX = 15;
const PREFIX_RE = /^[a-z0-9]{0,3}$/;

export interface Names {
  prefix: string;
  /** WireGuard device in the host namespace. */
  wg: string;
  /** Interface name given to the container end of a veth, inside the container's namespace. */
  containerIf: string;
  sandboxNs(vni: number): string;
  bridge(vni: number): string;
  vxlan(vni: number): string;
  veth(containerId: string): string;
  /** nftables table in the host namespace (VXLAN only via WireGuard). */
  hostTable: string;
  /** nftables tables inside each sandbox: bridge-family anti-spoofing, inet gateway input. */
  guardTable: string;
  gatewayTable: string;
  /** bridge-family app-to-app policy table inside each sandbox (docs/policies.md). */
  policyTable: string;
  /** The VNI a sandbox namespace name stands for, or null when the name is not ours. */
  vniOfSandbox(ns: string): number | null;
  /** True when an interface name carries one of our prefixes (half of the ownership test). */
  isOurIfname(name: string): boolean;
}

/** Options of `makeNames`; everything has a production default. */
export interface NamesOptions {
  prefix?: string;
  wg?: string;
  containerIf?: string;
}

/**
 * Builds the naming scheme for one agent. The default prefix is empty (`pnwg0`, `pn-100`, `pnb-100`);
 * tests give each simulated host its own prefix (`w1` → `w1pnwg0`, `w1pn-100`).
 */
export function makeNames(opts: NamesOptions = {}): Names {
  const p = opts.prefix ?? '';
  if (!PREFIX_RE.test(p)) throw new Error(`name prefix ${JSON.stringify(p)}: want 0-3 of [a-z0-9] (IFNAMSIZ)`);
  const wg = opts.wg ?? `${p}pnwg0`;
  checkIfname(wg);
  const nsRe = new RegExp(`^${p}pn-(\\d{1,8})$`);
  return {
    prefix: p,
    wg,
    containerIf: opts.containerIf ?? 'eth1',
    sandboxNs: (vni) => `${p}pn-${vni}`,
    bridge: (vni) => checkIfname(`${p}pnb-${vni}`),
    vxlan: (vni) => checkIfname(`${p}pnv-${vni}`),
    veth: (id) => checkIfname(`${p}pnc-${shortId(id)}`),
    hostTable: `${p}pn_host`,
    guardTable: `${p}pn_guard`,
    gatewayTable: `${p}pn_gateway`,
    policyTable: `${p}pn_policy`,
    vniOfSandbox(ns) {
      const m = nsRe.exec(ns);
      return m ? Number(m[1]) : null;
    },
    isOurIfname: (name) => name.startsWith(`${p}pnb-`) || name.startsWith(`${p}pnv-`) || name.startsWith(`${p}pnc-`),
  };
}

/** First 8 hex digits of a container id (`ctr-<uuid>` → uuid's first 8): unique enough per sandbox. */
export function shortId(containerId: string): string {
  const hex = containerId
    .replace(/^ctr-/, '')
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase();
  if (hex.length < 8) throw new Error(`container id ${containerId}: need at least 8 hex digits`);
  return hex.slice(0, 8);
}

function checkIfname(name: string): string {
  if (name.length > IFNAME_MAX) throw new Error(`interface name ${name} is longer than ${IFNAME_MAX}`);
  return name;
}

/**
 * The ownership marker written to `ifalias`: `pn:vni=<vni>:pn=<network-id>[:ctr=<container-id>]`.
 * An object is ours only if its name has our prefix AND its alias starts with `pn:`.
 */
export function aliasFor(vni: number, networkId: string, containerId?: string): string {
  return `pn:vni=${vni}:pn=${networkId}` + (containerId ? `:ctr=${containerId}` : '');
}

/** True when an `ifalias` value is a Weft ownership marker. */
export function isOurAlias(alias: string | undefined | null): boolean {
  return typeof alias === 'string' && alias.startsWith('pn:vni=');
}
