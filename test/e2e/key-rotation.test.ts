/**
 * End to end, as root: every host's WireGuard key is rotated live, one host after the other (hosts 1
 * and 2 by `weft-agent rotate-key`, host 3 by the API's `rotateHostKey`), while containers ping each other across hosts every 20 ms and one TCP connection
 * carries a numbered line every 20 ms. Nothing may be lost, the connection must stay open with every
 * line echoed in order, and afterwards `wg show` on every host holds only the new keys
 * (docs/agent-dataplane.md "Host-key rotation").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { pingSummary, probeArgv, startBackground } from '../../lab/probes.ts';
import { sleep } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const PINGS = 1500; // 30 s at 20 ms: longer than the three rotations, with room for a loaded machine
const STREAM_PORT = 32_000;
const run = promisify(execFile);

describeRoot('end to end: live host-key rotation under a 20 ms ping and an open TCP stream', () => {
  const world = new World('wk');
  const c: WorldContainer[] = [];

  beforeAll(async () => {
    // The API in its own process, as in production: this process waits on `wg show` below, and a
    // wait in the API's event loop would lengthen every overlap window (the packets staged in it).
    world.apiProcess = true;
    const opened = await world.upWithWebOnEveryHost('rotate');
    c.push(...opened.containers);
  }, 120_000);

  afterAll(async () => world.destroy(), 60_000);

  /** `wg show <device> <what>` in host `n`'s namespace. */
  const wg = async (n: number, what: 'public-key' | 'peers'): Promise<string[]> =>
    (await run('ip', ['netns', 'exec', world.hosts[n - 1].ns, 'wg', 'show', world.lab.hosts[n - 1].names.wg, what], { encoding: 'utf8' })).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();
  /** Whether every host but `n` holds `fresh` for it and not `old`. */
  const swapped = async (n: number, fresh: string, old: string): Promise<boolean> => {
    const peers = await Promise.all([1, 2, 3].filter((m) => m !== n).map((m) => wg(m, 'peers')));
    return peers.every((p) => p.includes(fresh) && !p.includes(old));
  };

  it('rotates every host in turn: zero lost pings, the stream intact, only new keys afterwards', async () => {
    const pingArgv = (ip: string) => ['ping', '-c', String(PINGS), '-i', '0.02', '-W', '2', ip];
    const pings = await Promise.all([0, 1, 2].map((i) => startBackground(world, c[i].ns, pingArgv(c[(i + 1) % 3].ip), null)));
    await startBackground(world, c[1].ns, probeArgv('stream-serve', c[1].ip, STREAM_PORT));
    const streamClient = await startBackground(world, c[0].ns, probeArgv('stream', c[1].ip, STREAM_PORT, 20));
    const oldKeys = await Promise.all([1, 2, 3].map(async (n) => (await wg(n, 'public-key'))[0]));
    const start = Date.now();
    const swaps: string[] = [];
    await sleep(1000);
    for (const n of [1, 2, 3]) {
      const t = Date.now();
      let fresh: string;
      if (n < 3) {
        const r = await world.agentCommand(n, ['rotate-key']);
        expect(r.code, r.stderr).toBe(0);
        fresh = /-> (\S+) /.exec(r.stdout)![1];
        expect(await wg(n, 'public-key')).toEqual([fresh]);
      } else {
        // the third host is asked through the API; its agent rotates when the request reaches it
        await world.gql(`mutation($h: ID!) { rotateHostKey(hostId: $h) { revision } }`, { h: world.hosts[n - 1].hostId });
        while ((await wg(n, 'public-key'))[0] === oldKeys[n - 1] && Date.now() - t < 20_000) await sleep(20);
        fresh = (await wg(n, 'public-key'))[0];
        expect(fresh).not.toBe(oldKeys[n - 1]);
      }
      // every peer swaps the old key for the new one once the change reaches it
      while (!(await swapped(n, fresh, oldKeys[n - 1])) && Date.now() - t < 20_000) await sleep(20);
      swaps.push(`host ${n}: ${Date.now() - t} ms`);
      await sleep(500);
    }
    const rotationWindow = Date.now() - start;
    expect(rotationWindow).toBeLessThan(PINGS * 20 - 2000); // the pings covered every rotation
    const pingLines = await Promise.all(pings.map((b) => b.done()));
    const stream = JSON.parse((await streamClient.stop()).at(-1)!) as { sent: number; echoed: number; inOrder: boolean; error: string | null };
    const results = pingLines.map(pingSummary);
    const maxRtt = pingLines.map((lines) => /= [\d.]+\/[\d.]+\/([\d.]+)\//.exec(lines.join('\n'))?.[1]);
    const newKeys = await Promise.all([1, 2, 3].map(async (n) => (await wg(n, 'public-key'))[0]));
    console.log(
      `[e2e] key rotation: every peer held only the new key ${swaps.join(', ')} after rotate-key; pings ${JSON.stringify(results)} (max RTT ${maxRtt.join(', ')} ms); TCP stream ${JSON.stringify(stream)}`,
    );
    for (const r of results) expect(r).toEqual({ sent: PINGS, received: PINGS });
    expect(stream).toMatchObject({ error: null, inOrder: true });
    expect(stream.echoed).toBe(stream.sent);
    expect(stream.sent).toBeGreaterThan(rotationWindow / 20 / 2);
    // each host holds exactly the other hosts' new keys; no old key anywhere
    for (const n of [1, 2, 3]) expect(await wg(n, 'peers')).toEqual(newKeys.filter((_, i) => i !== n - 1).sort());
    expect(newKeys.filter((k) => oldKeys.includes(k))).toEqual([]);
    for (const h of world.hosts)
      expect((await world.gql(`query($h: ID!) { host(id: $h) { publicKey } }`, { h: h.hostId })).host.publicKey).toBe(newKeys[h.n - 1]);
  }, 120_000);
});
