/**
 * observe: reads the host's current kernel state through the runner (effects: read-only commands).
 *
 * Owns: which show commands are run. Never: changes anything. Only namespaces with our sandbox
 * prefix are read, and from the host only our WireGuard device and our nft table are kept.
 * Per pass: 4 host commands + 4 per sandbox (addr+link in one `ip -j -d addr show`), run
 * concurrently across sandboxes so a host with many networks is read quickly.
 */
import type { Names } from '../config-names';
import type { CommandRunner } from '../exec/runner';
import { parseBridgeFdb } from '../observed/bridge';
import { parseIpLinks, parseIpNeigh, parseNetnsList } from '../observed/ip';
import { parseNftRuleset } from '../observed/nft';
import type { ObservedSandbox, ObservedState, ObservedWg } from '../observed/types';
import { parseWgDump } from '../observed/wg';

const CONCURRENCY = 8;

/** Reads the observed state. Throws only when the host namespace itself cannot be read. */
export async function observe(runner: CommandRunner, names: Names): Promise<ObservedState> {
  const out = async (argv: string[]) => (await runner.run(argv)).stdout;
  const [nsJson, linkJson, nftJson] = await Promise.all([
    out(['ip', '-j', 'netns', 'list']),
    out(['ip', '-j', '-d', 'addr', 'show']),
    out(['nft', '-j', 'list', 'ruleset']),
  ]);
  const namespaces = parseNetnsList(nsJson);
  const hostLinks = parseIpLinks(linkJson);
  let wg: ObservedWg | null = null;
  if (hostLinks.some((l) => l.name === names.wg)) {
    // The dump's first line holds the private key: it goes straight to the parser, never to a log.
    wg = await out(['wg', 'show', names.wg, 'dump']).then(parseWgDump, () => null);
  }
  const hostTables = parseNftRuleset(nftJson).filter((t) => t.name === names.hostTable);
  const ours = namespaces.filter((ns) => names.vniOfSandbox(ns) !== null);
  const sandboxes: Record<string, ObservedSandbox> = {};
  const unreadable: Record<string, string> = {};
  for (let i = 0; i < ours.length; i += CONCURRENCY) {
    const chunk = ours.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(chunk.map((ns) => observeSandbox(out, ns, names)));
    // One sandbox that cannot be read (deleted mid-pass, a parse error) must not stop the others.
    results.forEach((r, j) => {
      if (r.status === 'fulfilled') sandboxes[r.value.ns] = r.value;
      else unreadable[chunk[j]] = r.reason instanceof Error ? r.reason.message : String(r.reason);
    });
  }
  return { namespaces, hostLinks, wg, hostTables, sandboxes, unreadable };
}

async function observeSandbox(out: (argv: string[]) => Promise<string>, ns: string, names: Names): Promise<ObservedSandbox> {
  const [links, fdb, neigh, nft] = await Promise.all([
    out(['ip', '-n', ns, '-j', '-d', 'addr', 'show']),
    out(['bridge', '-n', ns, '-j', 'fdb', 'show']),
    out(['ip', '-n', ns, '-j', 'neigh', 'show']),
    out(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'ruleset']),
  ]);
  const tables = parseNftRuleset(nft).filter((t) => t.name === names.guardTable || t.name === names.gatewayTable || t.name === names.policyTable);
  return { ns, links: parseIpLinks(links), fdb: parseBridgeFdb(fdb), neigh: parseIpNeigh(neigh), tables };
}
