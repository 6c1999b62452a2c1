/**
 * Parsers of `ip -j -d addr show` (links + addresses in one call), `ip -j neigh show` and
 * `ip -j netns list` (fixtures: test/fixtures/ip-*.json).
 *
 * Never reconcile on `link`/`link_index` of a VXLAN that was moved into a sandbox: iproute2 resolves
 * it in the wrong namespace (docs/architecture.md §4.11). We read only `info_data.{id,local,port,…}`.
 */
import { z } from 'zod';
import type { ObservedLink, ObservedNeigh } from './types';

const addrInfo = z.object({ family: z.string(), local: z.string(), prefixlen: z.number() });
const link = z.object({
  ifname: z.string(),
  flags: z.array(z.string()),
  mtu: z.number(),
  address: z.string().optional(),
  master: z.string().optional(),
  ifalias: z.string().optional(),
  linkinfo: z
    .object({
      info_kind: z.string().optional(),
      info_data: z.record(z.string(), z.unknown()).optional(),
      info_slave_kind: z.string().optional(),
      info_slave_data: z.object({ learning: z.boolean().optional() }).optional(),
    })
    .nullish(),
  addr_info: z.array(addrInfo).optional(),
});
const vxlanData = z.object({ id: z.number(), local: z.string().optional(), port: z.number(), learning: z.boolean(), proxy: z.boolean() });

/** Parses `ip -j -d addr show` (or `ip -j -d link show`, which has no addresses). */
export function parseIpLinks(json: string): ObservedLink[] {
  return z
    .array(link)
    .parse(JSON.parse(json || '[]'))
    .map((l) => {
      const kind = l.linkinfo?.info_kind ?? null;
      const data = l.linkinfo?.info_data;
      const vx = kind === 'vxlan' ? vxlanData.parse(data) : null;
      const snoop = kind === 'bridge' && typeof data?.mcast_snooping === 'number' ? data.mcast_snooping : null;
      return {
        name: l.ifname,
        kind,
        mtu: l.mtu,
        up: l.flags.includes('UP'),
        mac: l.address?.toLowerCase() ?? null,
        alias: l.ifalias ?? null,
        master: l.master ?? null,
        learning: l.linkinfo?.info_slave_kind === 'bridge' ? (l.linkinfo.info_slave_data?.learning ?? null) : null,
        vxlan: vx ? { id: vx.id, local: vx.local ?? null, port: vx.port, learning: vx.learning, proxy: vx.proxy } : null,
        mcastSnooping: snoop,
        addrs: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
        ...v6(l.addr_info ?? []),
      };
    });
}

/** `addrs6` only when the link has IPv6 addresses, so single-stack links look as they always did. */
function v6(addrs: z.infer<typeof addrInfo>[]): { addrs6?: string[] } {
  const list = addrs.filter((a) => a.family === 'inet6').map((a) => `${a.local}/${a.prefixlen}`);
  return list.length ? { addrs6: list } : {};
}

const neigh = z.object({ dst: z.string(), dev: z.string(), lladdr: z.string().optional(), state: z.array(z.string()).optional() });

/** Parses `ip -j neigh show`, IPv4 and IPv6 entries (a dual-stack network's remotes have both). */
export function parseIpNeigh(json: string): ObservedNeigh[] {
  return z
    .array(neigh)
    .parse(JSON.parse(json || '[]'))
    .map((n) => ({ ip: n.dst, dev: n.dev, mac: n.lladdr?.toLowerCase() ?? null, permanent: (n.state ?? []).includes('PERMANENT') }));
}

/** Parses `ip -j netns list` into namespace names. An empty output means no namespace. */
export function parseNetnsList(json: string): string[] {
  if (!json.trim()) return [];
  return z
    .array(z.object({ name: z.string() }))
    .parse(JSON.parse(json))
    .map((n) => n.name);
}
