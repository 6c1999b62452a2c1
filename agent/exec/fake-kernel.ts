/**
 * The in-memory kernel behind FakeHost: namespaces, links, addresses, FDB, neighbours, nft tables
 * and WireGuard devices, plus JSON renderers shaped like iproute2 6.1 / nft 1.0.6 output
 * (compare test/fixtures/*.json). Test-support code: never used by a running agent.
 */
import { summarizeTableText } from '../desired/nft-text';
import { numericOrder } from '../../protocol/order.ts';

export interface FakeLink {
  name: string;
  kind: string;
  mtu: number;
  up: boolean;
  mac: string;
  alias?: string;
  master?: string;
  learning: boolean;
  vxlan?: { id: number; local: string; port: number; learning: boolean; proxy: boolean };
  mcastSnooping?: number;
  addrs: string[]; // "ip/len", IPv4 and IPv6
  addrGenMode?: string;
  peer?: { ns: FakeNs; name: string };
}
export interface FakeFdb {
  mac: string;
  dev: string;
  self: boolean;
  dst?: string;
  master?: string;
  state: string;
}
export interface FakeNeigh {
  ip: string;
  dev: string;
  mac: string;
}
export interface FakeWg {
  publicKey: string;
  listenPort: number;
  peers: Map<string, { endpoint: string; allowedIps: string[]; keepalive: number }>;
}

/** One network namespace of the fake kernel. */
export class FakeNs {
  links = new Map<string, FakeLink>();
  fdb: FakeFdb[] = [];
  neigh: FakeNeigh[] = [];
  tables = new Map<string, string>(); // "family name" → text
  sysctl: Record<string, string> = {};
  wg = new Map<string, FakeWg>();

  constructor(readonly name: string) {
    this.links.set('lo', { name: 'lo', kind: 'loopback', mtu: 65536, up: false, mac: '00:00:00:00:00:00', learning: false, addrs: ['127.0.0.1/8'] });
  }

  /** Removes a link and everything that hangs off it (entries, its veth peer, ports' master). */
  removeLink(name: string): void {
    const l = this.links.get(name);
    if (!l) return;
    this.links.delete(name);
    this.fdb = this.fdb.filter((e) => e.dev !== name);
    this.neigh = this.neigh.filter((n) => n.dev !== name);
    this.wg.delete(name);
    for (const p of this.links.values()) if (p.master === name) p.master = undefined;
    if (l.peer) {
      const { ns, name: pn } = l.peer;
      l.peer = undefined;
      const other = ns.links.get(pn);
      if (other) other.peer = undefined;
      ns.removeLink(pn);
    }
  }

  /**
   * `nft -f -` for the agent's own shape: `table F N` / `delete table F N` / `table F N { … }`, and
   * `flush set F N S` / `add element F N S { … }` on a stored table, and a patch (nft-text.ts
   * `patchScript`): `flush chain`, `delete chain|set`, and a `table F N { … }` block on a stored
   * table, which merges into it as nft does (a declared chain gains its rules, a set its elements).
   */
  applyNft(text: string): void {
    const lines = text.split('\n');
    const staged = new Map(this.tables);
    for (let i = 0; i < lines.length; i++) {
      const e = /^(flush set|add element) (\S+) (\S+) (\S+)(?: \{ (.*) \})?$/.exec(lines[i]);
      if (e) {
        const key = `${e[2]} ${e[3]}`;
        const table = staged.get(key);
        if (table === undefined) throw new Error(`Error: No such file or directory\n${lines[i]}`);
        staged.set(key, withElements(table, e[4], e[1] === 'flush set' ? [] : [...elementsIn(table, e[4]), ...(e[5] ?? '').split(', ')]));
        continue;
      }
      const c = /^(flush chain|delete chain|delete set) (\S+) (\S+) (\S+)$/.exec(lines[i]);
      if (c) {
        const key = `${c[2]} ${c[3]}`;
        const table = staged.get(key);
        if (table === undefined) throw new Error(`Error: No such file or directory\n${lines[i]}`);
        staged.set(key, c[1] === 'flush chain' ? flushChain(table, c[4]) : withoutBlock(table, c[1].slice('delete '.length), c[4]));
        continue;
      }
      const m = /^(delete )?table (\S+) (\S+)( \{)?$/.exec(lines[i]);
      if (!m) continue;
      const key = `${m[2]} ${m[3]}`;
      if (m[1]) staged.delete(key);
      else if (m[4]) {
        let j = i,
          depth = 0;
        do {
          depth += (lines[j].match(/\{/g) ?? []).length - (lines[j].match(/\}/g) ?? []).length;
          j++;
        } while (depth > 0 && j < lines.length);
        const block = lines.slice(i, j).join('\n');
        const stored = staged.get(key);
        staged.set(key, stored === undefined ? block : mergeTable(stored, block));
        i = j - 1;
      } else if (!staged.has(key)) staged.set(key, `table ${key} {\n}`);
    }
    this.tables = staged; // all or nothing, like an nft transaction
  }

  /** `wg set <if> …`: private key (looked up in `keys`, no crypto), listen port, peers. */
  wgSet(w: string[], keys: Record<string, string>): void {
    const dev = this.wg.get(w[0]);
    if (!dev) throw new Error(`Unable to modify interface: No such device`);
    for (let i = 1; i < w.length; i++) {
      if (w[i] === 'private-key') dev.publicKey = keys[w[++i]] ?? `${'F'.repeat(43)}=`;
      else if (w[i] === 'listen-port') dev.listenPort = Number(w[++i]);
      else if (w[i] === 'peer') {
        const key = w[++i];
        if (w[i + 1] === 'remove') {
          dev.peers.delete(key);
          i++;
          continue;
        }
        const p = { endpoint: '', allowedIps: [] as string[], keepalive: 0 };
        while (i + 1 < w.length && w[i + 1] !== 'peer') {
          const k = w[++i],
            v = w[++i];
          if (k === 'endpoint') p.endpoint = v;
          if (k === 'allowed-ips') p.allowedIps = v.split(',');
          if (k === 'persistent-keepalive') p.keepalive = Number(v);
        }
        dev.peers.set(key, p);
      }
    }
  }

  /** `ip -j -d addr show`. */
  addrJson(): string {
    return JSON.stringify(
      [...this.links.values()].map((l, i) => {
        const info: Record<string, unknown> = { info_kind: l.kind };
        if (l.vxlan) info.info_data = { id: l.vxlan.id, local: l.vxlan.local, port: l.vxlan.port, learning: l.vxlan.learning, proxy: l.vxlan.proxy, ttl: 0 };
        if (l.kind === 'bridge') info.info_data = { stp_state: 0, mcast_snooping: l.mcastSnooping ?? 1 };
        if (l.master) Object.assign(info, { info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', learning: l.learning } });
        return {
          ifindex: i + 1,
          ifname: l.name,
          flags: ['BROADCAST', 'MULTICAST', ...(l.up ? ['UP', 'LOWER_UP'] : [])],
          mtu: l.mtu,
          ...(l.master ? { master: l.master } : {}),
          operstate: l.up ? 'UP' : 'DOWN',
          address: l.mac,
          linkinfo: l.kind === 'loopback' ? null : info,
          ...(l.alias ? { ifalias: l.alias } : {}),
          addr_info: l.addrs.map((a) => ({
            family: a.includes(':') ? 'inet6' : 'inet',
            local: a.split('/')[0],
            prefixlen: Number(a.split('/')[1]),
            scope: 'global',
          })),
        };
      }),
    );
  }

  /** `bridge -j fdb show`, with the kernel's own port-address entries like the real thing. */
  fdbJson(): string {
    const own = [...this.links.values()].filter((l) => l.master).map((l) => ({ mac: l.mac, ifname: l.name, flags: [], master: l.master, state: 'permanent' }));
    const ours = this.fdb.map((e) =>
      e.self
        ? { mac: e.mac, ifname: e.dev, dst: e.dst, linkNetNsId: 0, flags: ['self'], state: e.state }
        : { mac: e.mac, ifname: e.dev, flags: [], master: e.master, state: e.state },
    );
    return JSON.stringify([...own, ...ours]);
  }

  /** `ip -j neigh show`. */
  neighJson(): string {
    return JSON.stringify(this.neigh.map((n) => ({ dst: n.ip, dev: n.dev, lladdr: n.mac, state: ['PERMANENT'] })));
  }

  /** `nft -j list ruleset`, rebuilt from the stored table texts. */
  nftJson(): string {
    const items: unknown[] = [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }];
    for (const [key, text] of this.tables) {
      const [family, table] = key.split(' ');
      items.push({ table: { family, name: table, handle: 1 } });
      const s = summarizeTableText(text);
      for (const [name, n] of Object.entries(s.sets))
        items.push({ set: { family, name, table, type: 'ifname', handle: 2, ...(n ? { elem: elementsIn(text, name).map(asJsonElement) } : {}) } });
      for (const [chain, n] of Object.entries(s.chains)) {
        items.push({ chain: { family, table, name: chain, handle: 3 } });
        for (let i = 0; i < n; i++) {
          const comment = chain === 'weft_meta' && i === 0 && s.hash ? { comment: `weft:sha=${s.hash}` } : {};
          items.push({ rule: { family, table, chain, handle: 10 + i, ...comment, expr: [] } });
        }
      }
    }
    return JSON.stringify({ nftables: items });
  }

  /** `wg show <if> dump` (private key field replaced, as the real agent never needs it). */
  wgDump(ifname: string): string | null {
    const w = this.wg.get(ifname);
    if (!w) return null;
    const lines = [`(hidden)\t${w.publicKey || '(none)'}\t${w.listenPort}\toff`];
    for (const [k, p] of w.peers) lines.push([k, '(none)', p.endpoint, p.allowedIps.join(','), '0', '0', '0', p.keepalive || 'off'].join('\t'));
    return lines.join('\n') + '\n';
  }
}

/** The members of set `set` in a stored table text (what its `elements = { … }` line lists). */
function elementsIn(text: string, set: string): string[] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() === `set ${set} {`);
  if (i < 0) return [];
  for (const l of lines.slice(i + 1)) {
    const t = l.trim();
    if (t === '}') return [];
    if (t.startsWith('elements = { ')) return t.slice('elements = { '.length, -' }'.length).split(', ');
  }
  return [];
}

/** Top-level blocks of a table text (`  chain X {` … `  }`, `  set X {` … `  }`): kind, name, line range. */
function blocksOf(lines: string[]): { kind: string; name: string; start: number; end: number }[] {
  const out: { kind: string; name: string; start: number; end: number }[] = [];
  lines.forEach((l, i) => {
    const m = /^ {2}(chain|set) (\S+) \{$/.exec(l);
    if (m) out.push({ kind: m[1], name: m[2], start: i, end: lines.indexOf('  }', i) });
  });
  return out;
}

/** `flush chain`: the chain keeps its hook line, loses its rules. */
function flushChain(text: string, chain: string): string {
  const lines = text.split('\n');
  const b = blocksOf(lines).find((x) => x.kind === 'chain' && x.name === chain);
  if (!b) throw new Error(`Error: No such file or directory: chain ${chain}`);
  const kept = lines.slice(b.start + 1, b.end).filter((l) => l.trim().startsWith('type '));
  return [...lines.slice(0, b.start + 1), ...kept, ...lines.slice(b.end)].join('\n');
}

/** `delete chain|set`. */
function withoutBlock(text: string, kind: string, name: string): string {
  const lines = text.split('\n');
  const b = blocksOf(lines).find((x) => x.kind === kind && x.name === name);
  if (!b) throw new Error(`Error: No such file or directory: ${kind} ${name}`);
  return [...lines.slice(0, b.start), ...lines.slice(b.end + 1)].join('\n');
}

/** A `table { … }` block declared on a stored table: new blocks are added, a chain gains the rules, a set the elements. */
function mergeTable(stored: string, block: string): string {
  let text = stored;
  const add = block.split('\n');
  for (const b of blocksOf(add)) {
    const lines = text.split('\n');
    const have = blocksOf(lines).find((x) => x.kind === b.kind && x.name === b.name);
    const body = add.slice(b.start + 1, b.end);
    if (!have) text = [...lines.slice(0, -1), ...add.slice(b.start, b.end + 1), lines.at(-1)!].join('\n');
    else if (b.kind === 'set') {
      const more =
        body
          .find((l) => l.trim().startsWith('elements = { '))
          ?.trim()
          .slice('elements = { '.length, -' }'.length)
          .split(', ') ?? [];
      text = withElements(text, b.name, [...elementsIn(text, b.name), ...more]);
    } else text = [...lines.slice(0, have.end), ...body.filter((l) => !l.trim().startsWith('type ')), ...lines.slice(have.end)].join('\n');
  }
  return text;
}

/** The table text with set `set` holding exactly `members` (sorted, deduplicated). */
function withElements(text: string, set: string, members: string[]): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() === `set ${set} {`);
  if (i < 0) throw new Error(`Error: No such file or directory: set ${set}`);
  let end = i + 1;
  while (lines[end].trim() !== '}') end++;
  const block = lines.slice(i + 1, end).filter((l) => !l.trim().startsWith('elements = '));
  const sorted = [...new Set(members.filter(Boolean))].sort(numericOrder);
  const indent = `${lines[i].match(/^\s*/)![0]}  `;
  if (sorted.length) block.push(`${indent}elements = { ${sorted.join(', ')} }`);
  return [...lines.slice(0, i + 1), ...block, ...lines.slice(end)].join('\n');
}

/** An element as `nft -j` prints it: a plain value as a string, a concatenation as `{concat: […]}`. */
function asJsonElement(e: string): unknown {
  return e.includes(' . ') ? { concat: e.split(' . ').map((v) => v.replace(/^"|"$/g, '')) } : e;
}
