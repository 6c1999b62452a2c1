/**
 * End to end, as root: a JGroups cluster forms across hosts over the network's multicast
 * (docs/agent-dataplane.md "Multicast"). Two networks, each with one container on each of 3 hosts;
 * one JVM per container, inside the container's namespace only, runs test/e2e/jgroups/ClusterMember
 * (compiled here against Debian's libjgroups-java) with JGroups' default UDP (IP multicast) stack,
 * the same cluster name and the same multicast group in both networks.
 * - `multicast: ON`: every member installs a view of exactly 3 — its own network's members, never the
 *   other network's — within the bound.
 * - `multicast: OFF` (the documented behaviour): discovery multicast stays on the sender's host, so
 *   each member stays alone in a view of 1: one cluster per host.
 * - The recipe's DNS path on the OFF network: members take their initial hosts from the DNS name of
 *   their process type and use the TCP stack; they form a view of 3 without any multicast.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { World, type WorldContainer } from '../../lab/world.ts';
import { type Background, startBackground } from '../../lab/probes.ts';
import { sleep } from '../support/netns-lab.ts';
import { describeRoot } from '../support/root.ts';

const JGROUPS_JAR = '/usr/share/java/jgroups.jar'; // Debian's libjgroups-java
const SOURCE = join(resolve(fileURLToPath(new URL('.', import.meta.url))), 'jgroups/ClusterMember.java');
const VIEW_BOUND_MS = 60_000; // every ON member must see 3 within this, from the moment the JVMs start
const OFF_WATCH_MS = 15_000; // OFF members must still be alone this long after they started

interface Jvm {
  c: WorldContainer;
  net: 'on' | 'off';
  bg: Background;
}

/** The view sizes a member printed, in order, with the time (ms since its JVM started) of each. */
function views(bg: Background): { size: number; ms: number }[] {
  return bg
    .lines()
    .map((l) => /^view (\d+) (\d+) /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ size: Number(m[1]), ms: Number(m[2]) }));
}

describeRoot('end to end: a JGroups cluster across hosts over multicast', () => {
  const world = new World('wj');
  const members: { on: WorldContainer[]; off: WorldContainer[] } = { on: [], off: [] };
  let offName = ''; // kc.<app>.<pn>.private-network.internal of the OFF network
  let classes = '';

  beforeAll(async () => {
    if (!existsSync(JGROUPS_JAR)) throw new Error(`${JGROUPS_JAR} is missing: apt-get install libjgroups-java (and a JDK 17)`);
    try {
      await world.up(3);
      for (const net of ['on', 'off'] as const) {
        const p = await world.project(`jg-${net}`, ['kc'], { multicast: net === 'on' ? 'ON' : 'OFF' });
        for (let host = 1; host <= 3; host++) members[net].push(await world.runContainer(p.appId, 'kc', host));
        if (net === 'off') offName = `kc.${p.appId}.${p.networkId}.private-network.internal`;
        await world.converged(p.networkId);
      }
      classes = join(world.lab.dir, 'jgroups-classes');
      mkdirSync(classes, { recursive: true });
      execFileSync('javac', ['-d', classes, '-cp', JGROUPS_JAR, SOURCE]); // compiling sends nothing
    } catch (error) {
      await world.destroy();
      throw error;
    }
  }, 180_000);

  afterAll(async () => world.destroy(), 60_000);

  /** One member's JVM, inside its container's namespace, bound to the container's private address. */
  const jvmArgv = (c: WorldContainer, name: string, discovery: string[] = []) => [
    'java',
    '-Xmx64m',
    '-XX:TieredStopAtLevel=1',
    '-Djava.net.preferIPv4Stack=true',
    `-Djgroups.bind_addr=${c.ip}`,
    '-cp',
    `${classes}:${JGROUPS_JAR}`,
    'ClusterMember',
    name,
    'weft-e2e',
    ...discovery,
  ];

  it('ON: every member sees a view of exactly its 3 members within the bound; OFF: each member stays alone', async () => {
    const started = Date.now();
    const jvms: Jvm[] = [];
    for (const net of ['on', 'off'] as const) {
      for (const [i, c] of members[net].entries()) {
        const argv = jvmArgv(c, `${net}-${i + 1}`);
        jvms.push({ c, net, bg: await startBackground(world, c.ns, argv, null) });
      }
    }
    const on = jvms.filter((j) => j.net === 'on');
    while (Date.now() - started < VIEW_BOUND_MS && !on.every((j) => views(j.bg).at(-1)?.size === 3)) await sleep(100);
    const formedMs = Date.now() - started;
    while (Date.now() - started < OFF_WATCH_MS) await sleep(100);
    const got = jvms.map(
      (j) => `${j.net}@host${j.c.host}: last view ${views(j.bg).at(-1)?.size ?? 'none'}, largest ${Math.max(0, ...views(j.bg).map((v) => v.size))}`,
    );
    const want = jvms.map((j) => {
      const n = j.net === 'on' ? 3 : 1;
      return `${j.net}@host${j.c.host}: last view ${n}, largest ${n}`;
    });
    await Promise.all(jvms.map((j) => j.bg.stop('SIGKILL')));
    expect(got).toEqual(want);
    const perMember = on.map((j) => views(j.bg).find((v) => v.size === 3)!.ms);
    console.log(
      `[e2e] JGroups over multicast ON: all 3 members saw a view of 3 ${formedMs} ms after the 6 JVMs were started (bound ${VIEW_BOUND_MS} ms; per member, from its own JVM start: ${perMember.join(', ')} ms); OFF: 3 views of 1 after ${OFF_WATCH_MS} ms`,
    );
  }, 120_000);

  it('DNS discovery with multicast OFF: members found through their process type name form a view of 3', async () => {
    const started = Date.now();
    const jvms = await Promise.all(members.off.map((c, i) => startBackground(world, c.ns, jvmArgv(c, `dns-${i + 1}`, [`dns:${offName}`]), null)));
    const last = () => jvms.map((j) => views(j).at(-1)?.size ?? 0);
    while (Date.now() - started < VIEW_BOUND_MS && !last().every((n) => n === 3)) await sleep(100);
    const formedMs = Date.now() - started;
    const resolved = jvms.map(
      (j) =>
        j
          .lines()
          .find((l) => l.startsWith('resolved '))
          ?.split(' ')[1]
          .split(',').length ?? 0,
    );
    await Promise.all(jvms.map((j) => j.stop('SIGKILL')));
    expect({ resolved, views: last() }).toEqual({ resolved: [3, 3, 3], views: [3, 3, 3] });
    console.log(`[e2e] JGroups over DNS discovery (TCP stack, multicast OFF): all 3 members saw a view of 3 ${formedMs} ms after the JVMs were started`);
  }, 90_000);
});
