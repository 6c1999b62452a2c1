/**
 * Shared fixtures of the reconciler tests: host 1's view of a small cluster in named states
 * (issue 5: empty → one network → two networks with remote containers → container removed → host
 * removed), and a fake-host agent builder. Used by agent/reconcile/*.test.ts and test/agent/.
 */
import type { HostConfig } from '../../protocol/model.ts';
import { makeNames } from '../../agent/config-names';
import { FakeHost } from '../../agent/exec/fake-host';
import type { CommandRunner } from '../../agent/exec/runner';
import { createReconciler, type ReconcilerOptions } from '../../agent/reconcile/reconciler';
import { container, host, hostConfig, network } from './model';

const KEY = (n: number) => `${String.fromCharCode(64 + n).repeat(43)}=`;
export const H = [1, 2, 3].map((n) => host(n, KEY(n)));
const [h1, h2, h3] = H;
export const KEY_PATH = 'state/wg.key';

const a1 = container('ctr-a0000001', 'pn-a', h1, '10.240.0.11');
const a2 = container('ctr-a0000002', 'pn-a', h2, '10.240.0.12');
const a3 = container('ctr-a0000003', 'pn-a', h3, '10.240.0.13', 'DRAINING');
const a4 = container('ctr-a0000004', 'pn-a', h2, '10.240.0.14', 'PENDING');
const b1 = container('ctr-b0000001', 'pn-b', h1, '10.240.0.11'); // same IP as a1, other network
const b2 = container('ctr-b0000002', 'pn-b', h2, '10.240.0.22');

export const ATTACHED: Record<string, string> = { [a1.id]: '/proc/101/ns/net', [b1.id]: '/proc/102/ns/net' };

/** The states of the table-driven tests, from host 1's point of view. */
export const STATES: Record<string, HostConfig> = {
  empty: hostConfig(h1, H, []),
  oneNetwork: hostConfig(h1, H, [network('pn-a', 100, [a1, a2])]),
  twoNetworks: hostConfig(h1, H, [network('pn-a', 100, [a1, a2, a3, a4]), network('pn-b', 200, [b1, b2])]),
  containerRemoved: hostConfig(h1, H, [network('pn-a', 100, [a1, a2, a3]), network('pn-b', 200, [b1, b2])]),
  hostRemoved: hostConfig(h1, H, [network('pn-a', 100, [a1, a3]), network('pn-b', 200, [b1])]),
};

/**
 * A fake host with wireguard-go's device and both container namespaces, and a reconciler on it.
 * `privateKeys` (key file → public key) is the fake's own: a test may rotate a key in it.
 */
export function fakeAgent(extra: Partial<ReconcilerOptions> = {}, privateKeys: Record<string, string> = { [KEY_PATH]: KEY(1) }) {
  const fake = new FakeHost({ privateKeys });
  const names = makeNames({ prefix: 't1' });
  fake.addWgDevice(names.wg);
  for (const p of Object.values(ATTACHED)) fake.addContainerNs(p);
  const rec = createReconciler({
    runner: fake,
    names,
    wgMode: 'external',
    privateKeyPath: KEY_PATH,
    pathExists: () => true,
    ...extra,
  });
  return { fake, names, rec };
}

const isFirstRead = (argv: string[]) => argv.join(' ') === 'ip -j netns list';

/**
 * A fake-host agent whose commands can be held: while `hold(match)` is on, a command `match`
 * accepts (by default the first read of a pass, `ip -j netns list`) waits until `release()`.
 * `reads()` counts the passes' reads begun so far, `waiting()` the commands held now.
 */
export function fakeAgentWithHeldCommands() {
  let held: { match: (argv: string[]) => boolean; until: Promise<void> } | null = null;
  let open = () => {};
  let reads = 0;
  let waiting = 0;
  const runner: CommandRunner = {
    run: async (argv, opts) => {
      if (isFirstRead(argv)) reads++;
      if (held?.match(argv)) {
        waiting++;
        await held.until;
        waiting--;
      }
      return agent.fake.run(argv, opts);
    },
  };
  const agent = fakeAgent({ runner });
  return {
    ...agent,
    reads: () => reads,
    waiting: () => waiting, // commands held now
    hold: (match = isFirstRead) => {
      held = { match, until: new Promise<void>((r) => (open = r)) };
    },
    release: () => {
      held = null;
      open();
    },
  };
}

/** The processes that write to the kernel since call `from`, a process's argv then its stdin indented; reads (`-j` dumps, `wg show`) left out. */
export function writes(fake: FakeHost, from: number): string {
  return fake.calls
    .slice(from)
    .filter((c) => !c.argv.includes('-j') && !(c.argv[0] === 'wg' && c.argv[1] === 'show'))
    .flatMap((c) => [
      c.argv.join(' '),
      ...(c.stdin?.trimEnd()
        ? c.stdin
            .trimEnd()
            .split('\n')
            .map((l) => `  ${l}`)
        : []),
    ])
    .join('\n');
}
