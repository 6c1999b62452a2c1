/**
 * End to end, as root (issue 14, docs/architecture.md §8.2, §8.3): the API the agents follow stops
 * and starts again on the same port with an EMPTY database file — the accident Weft exists to
 * survive. For 10 minutes (WEFT_BRAKE_CONFIRM_MS at its default), a container on each host resolves
 * every name and pings every peer every 100 ms: not one lookup may fail and not one ping may be lost.
 * Every agent reports FENCED (another database generation). Then, on host 1 only, an operator accepts
 * the new generation (the brake then holds its near-empty state) and confirms: exactly that host
 * applies it, the two others keep serving.
 *
 * WEFT_E2E_EMPTY_DB_SECONDS shortens the wait for a local run; CI runs the full 600 s.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pingSummary, probeArgv, startBackground } from '../../lab/probes.ts';
import { World, type WorldContainer } from '../../lab/world.ts';
import { sleep } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const SECONDS = Number(process.env.WEFT_E2E_EMPTY_DB_SECONDS ?? 600);
const INTERVAL_MS = 100;
const Z = 'private-network.internal';

describeRoot('end to end: the API restarts on an empty database', () => {
  const world = new World('we');
  let p: { projectId: string; networkId: string; appId: string };
  let gateway = '';
  const c: WorldContainer[] = [];

  beforeAll(async () => {
    const opened = await world.upWithWebOnEveryHost('empty-db');
    p = opened.project;
    gateway = opened.gateway;
    c.push(...opened.containers);
  }, 120_000);
  afterAll(async () => world.destroy(), 60_000);

  const dig = (from: WorldContainer, name: string) => world.exec(from, ['dig', '+short', '+time=1', '+tries=1', name]).trim().split('\n').filter(Boolean);
  /**
   * `dig` from a container whose host is removing its network: no answer either way, whether the
   * DNS view went first (an empty answer) or the sandbox did (its veth with it: dig exits 9,
   * "network unreachable"; which comes first is not ordered).
   */
  const digWhileRemoved = (from: WorldContainer, name: string): string[] => {
    try {
      return dig(from, name);
    } catch (e) {
      if ((e as { status?: number }).status === 9) return [];
      throw e;
    }
  };
  const status = async (n: number) => JSON.parse((await world.agentCommand(n, ['status', '--json'])).stdout);

  it(
    `serves every name and every peer for ${SECONDS} s; then one confirmed host, and only it, applies the empty state`,
    async () => {
      const names = [`${p.appId}.${p.networkId}.${Z}`, ...c.map((x) => x.hostname)];
      // Each ping stops by itself after its count, a little past SECONDS (its interval slips under
      // load), as in api-outage and agent-restart: a ping stopped by a signal prints its summary at
      // once, and the request it had just sent counts as lost (a CI run: 5,847 sent, 5,846 received).
      const pingCount = Math.ceil((SECONDS * 1000) / INTERVAL_MS);
      const pings = await Promise.all(
        c.flatMap((from) =>
          c
            .filter((to) => to !== from)
            .map((to) => startBackground(world, from.ns, ['ping', '-c', String(pingCount), '-i', String(INTERVAL_MS / 1000), '-W', '1', to.ip], null)),
        ),
      );
      const dns = await Promise.all(c.map((x) => startBackground(world, x.ns, probeArgv('dns-loop', gateway, names.join(','), INTERVAL_MS))));
      const from = Date.now();

      const oldGeneration = (await world.gql(`{ fleetLiveness { generation } }`)).fleetLiveness.generation;
      await world.stopApi();
      await world.startApi(`file:${join(world.lab.dir, 'api', 'empty.db')}`);
      const newGeneration = (await (await fetch(`${world.api.url}/healthz`)).json()).generation;
      expect(newGeneration).not.toBe(oldGeneration);
      // An empty database knows no host: its projects, hosts and networks are gone.
      expect((await world.gql(`{ hosts { edges { node { id } } } }`)).hosts.edges).toEqual([]);

      await sleep(15_000);
      for (const n of [1, 2, 3]) {
        const s = await status(n);
        expect(s.fence, `host ${n}`).toMatchObject({
          reason: 'GENERATION_CHANGED',
          trusted: { generation: oldGeneration },
          seen: { generation: newGeneration },
        });
      }
      await sleep(SECONDS * 1000 - (Date.now() - from));
      const ranMs = Date.now() - from;

      const dnsResults = (await Promise.all(dns.map((d) => d.stop()))).map(
        (lines) => JSON.parse(lines.at(-1)!) as { sent: number; answered: number; failed: number },
      );
      const pingResults = await Promise.all(pings.map(async (b) => pingSummary(await b.done())));
      console.log(`[e2e] empty database for ${Math.round(ranMs / 1000)} s: dns ${JSON.stringify(dnsResults)}; pings ${JSON.stringify(pingResults)}`);
      for (const r of dnsResults) {
        // each loop sends one query per name per interval: at least half of what the time implies
        expect(r.sent).toBeGreaterThanOrEqual(Math.floor((ranMs / INTERVAL_MS) * names.length * 0.5));
        expect(r.failed).toBe(0);
        expect(r.answered).toBe(r.sent);
      }
      for (const r of pingResults) {
        expect(r.sent).toBeGreaterThanOrEqual(Math.floor((ranMs / INTERVAL_MS) * 0.5));
        expect(r.received).toBe(r.sent);
      }

      // Host 1: accept the new generation. Its empty state now meets the brake (near-empty: held, not released by time).
      const accepted = await world.agentCommand(1, ['accept-generation']);
      expect(accepted.code).toBe(0);
      expect(accepted.stdout).toContain(newGeneration);
      await sleep(2000);
      const held = await status(1);
      expect(held.fence).toBeNull();
      expect(held.brake).toMatchObject({ nearEmpty: true });
      expect(dig(c[0], c[1].hostname)).toEqual([c[1].ip]);

      // Confirm on host 1: it, and only it, applies the empty state.
      // Sandbox namespaces are named <host prefix>pn-<vni> (agent/config-names.ts).
      const sandboxes = (n: number) =>
        execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.startsWith(`${world.lab.hosts[n - 1].names.prefix}pn-`)).length;
      const confirmed = await world.agentCommand(1, ['confirm']);
      expect(confirmed.code).toBe(0);
      expect(confirmed.stdout).toMatch(/^released \d+ held objects/);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && digWhileRemoved(c[0], c[1].hostname).length) await sleep(250);
      expect(digWhileRemoved(c[0], c[1].hostname)).toEqual([]); // host 1 serves no network any more
      expect((await status(1)).brake).toBeNull();
      // Hosts 2 and 3 are untouched: still fenced, still resolving and reaching each other.
      for (const n of [2, 3]) expect((await status(n)).fence).toMatchObject({ reason: 'GENERATION_CHANGED' });
      expect(dig(c[1], c[2].hostname)).toEqual([c[2].ip]);
      expect(world.exec(c[1], ['ping', '-c', '2', '-i', '0.2', '-W', '2', c[2].ip])).toMatch(/ 0% packet loss/);
      console.log(`[e2e] empty database: after confirm, host 1 holds ${sandboxes(1)} sandboxes, host 2 holds ${sandboxes(2)}`);
      expect(sandboxes(1)).toBe(0);
      expect(sandboxes(2)).toBeGreaterThan(0);
    },
    (SECONDS + 180) * 1000,
  );
});
