/**
 * Batch sessions of the real runner (agent/exec/runner.ts) on the real kernel (root): lines run in a
 * long-lived `ip`/`bridge -n <ns> -batch`, failures come back numbered per run as apply.ts reads
 * them, and a command that deletes the namespace closes its sessions first, so no process keeps a
 * deleted namespace alive. The same for nft: the scripts the agent renders, sent as one line to a
 * long-lived `nft -i`, leave the same ruleset as `nft -f -`, a failed run is all-or-nothing and
 * comes back as a CommandError, changes made by other processes between runs are seen, and a script
 * that cannot be one line runs as a process of its own. Namespace prefix `xs`; everything is removed
 * even on failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { parseBatchErrors } from '../../agent/reconcile/apply';
import { CommandError, createExecRunner } from '../../agent/exec/runner';
import { renderedNftScripts } from '../support/nft-scripts';
import { describeRoot } from '../support/root';

const NS = 'xsbatch-1';
const NFT_NS = 'xsnft-1'; // through the session
const REF_NS = 'xsnft-2'; // through `nft -f -`, a process of its own
const ip = (...a: string[]) => execFileSync('ip', a, { encoding: 'utf8' });

describeRoot('batch sessions (root)', () => {
  const runner = createExecRunner({ sessions: { idleMs: 60_000 } });
  const sessionPids = () =>
    execFileSync('sh', ['-c', `pgrep -f '^(ip|bridge) -n ${NS} -force -batch' || true`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  afterAll(() => {
    for (const ns of [NS, NFT_NS, REF_NS]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); // the test deletes them itself
      } catch {}
    }
  });

  it('runs lines in one process per namespace and tool, numbers failures per run, and is closed by netns del', async () => {
    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns add ${NS}\n` });
    await runner.run(['ip', '-n', NS, '-force', '-batch', '-'], { stdin: 'link add xsb0 type bridge\nlink set xsb0 up\n' });
    expect(ip('-n', NS, '-j', 'link', 'show', 'xsb0')).toContain('"xsb0"');
    // second run on the same session: line 2 fails, line 3 still runs
    const failed = await runner
      .run(['ip', '-n', NS, '-force', '-batch', '-'], { stdin: 'link add xsb1 type bridge\nlink del xsnone\nlink set xsb1 up\n' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(CommandError);
    expect([...parseBatchErrors((failed as CommandError).stderr).keys()]).toEqual([2]);
    expect(ip('-n', NS, '-j', 'link', 'show', 'xsb1')).toContain('"UP"');
    await runner.run(['bridge', '-n', NS, '-force', '-batch', '-'], { stdin: 'fdb replace 02:00:0a:00:00:05 dev xsb0 self permanent\n' });
    expect(ip('-n', NS, 'link', 'show', 'xsb0')).toBeTruthy();
    expect(execFileSync('bridge', ['-n', NS, 'fdb', 'show', 'dev', 'xsb0'], { encoding: 'utf8' })).toContain('02:00:0a:00:00:05');
    expect(sessionPids()).toHaveLength(2); // one ip, one bridge
    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns del ${NS}\n` });
    await new Promise((r) => setTimeout(r, 200));
    expect(sessionPids()).toEqual([]);
    expect(ip('netns', 'list')).not.toContain(NS);
  });

  it('nft: rendered scripts go as one line to one `nft -i` per namespace, fail whole, see outside changes, and close on netns del', async () => {
    const nft = (ns: string, args: string[], stdin?: string) =>
      execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', ...(stdin === undefined ? {} : { input: stdin }) });
    const viaSession = (stdin: string) => runner.run(['ip', 'netns', 'exec', NFT_NS, 'nft', '-f', '-'], { stdin });
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as CommandError,
      );
    const pidsIn = (ns: string) => ip('netns', 'pids', ns).split('\n').filter(Boolean);
    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns add ${NFT_NS}\nnetns add ${REF_NS}\n` });
    const scripts = renderedNftScripts(NFT_NS);

    // every rendered script: the session leaves exactly what `nft -f -` leaves
    for (const script of [scripts.replace, scripts.replace, scripts.del, scripts.sets]) {
      await viaSession(script);
      nft(REF_NS, ['-f', '-'], script);
      expect(nft(NFT_NS, ['list', 'ruleset'])).toBe(nft(REF_NS, ['list', 'ruleset']));
    }
    expect(nft(NFT_NS, ['list', 'set', 'bridge', 'xs_policy', 'r0_src'])).toContain('elements = { 10.240.0.2, 10.240.0.9 }');
    expect(nft(NFT_NS, ['list', 'tables'])).toBe('table bridge xs_guard\ntable bridge xs_policy\n');
    const [session] = pidsIn(NFT_NS);
    expect(pidsIn(NFT_NS)).toHaveLength(1);
    expect(readFileSync(`/proc/${session}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual(['nft', '-i']);

    // a failing run fails whole, as a CommandError with nft's message; the session goes on
    const failed = await failure(viaSession('flush set bridge xs_policy r0_src\nadd element bridge xs_none s { 10.0.0.1 }\n'));
    expect(failed).toBeInstanceOf(CommandError);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^Error: No such file or directory.*\n.*xs_none/);
    expect(failed?.stderr).not.toContain('wsentinel');
    expect(nft(NFT_NS, ['list', 'set', 'bridge', 'xs_policy', 'r0_src'])).toContain('10.240.0.9'); // the flush did not happen
    await viaSession('add element bridge xs_policy r0_src { 10.240.0.11 }\n');
    expect(nft(NFT_NS, ['list', 'set', 'bridge', 'xs_policy', 'r0_src'])).toContain('10.240.0.11');

    // changes from another process between runs: the session sees them, not a stale cache
    nft(NFT_NS, ['delete', 'table', 'bridge', 'xs_policy']);
    const gone = await failure(viaSession(scripts.sets));
    expect(gone?.stderr).toContain('No such file or directory');
    nft(NFT_NS, ['-f', '-'], 'table bridge xs_policy {\n  set r0_src {\n    type ifname . ipv4_addr\n  }\n}\n');
    await viaSession('add element bridge xs_policy r0_src { "xspnc-1" . 10.240.0.3 }\n');
    expect(nft(NFT_NS, ['list', 'set', 'bridge', 'xs_policy', 'r0_src'])).toContain('"xspnc-1" . 10.240.0.3');
    nft(NFT_NS, ['add', 'table', 'inet', 'xs_gw']);
    await viaSession(scripts.del);
    expect(nft(NFT_NS, ['list', 'tables'])).toBe('table bridge xs_guard\ntable bridge xs_policy\n');
    expect(pidsIn(NFT_NS)).toEqual([session]);

    // a script that cannot be one line runs as a process of its own, and still applies
    await viaSession('add element bridge xs_policy r0_src {\n  "xspnc-2" . 10.240.0.5,\n  "xspnc-3" . 10.240.0.6\n}\n');
    expect(nft(NFT_NS, ['list', 'set', 'bridge', 'xs_policy', 'r0_src'])).toContain('"xspnc-3" . 10.240.0.6');
    expect(pidsIn(NFT_NS)).toEqual([session]);

    // a policy write patched in place leaves the table a whole replacement would have written
    await viaSession(scripts.replace);
    await viaSession(scripts.patch);
    nft(REF_NS, ['-f', '-'], scripts.patched);
    expect(nft(NFT_NS, ['list', 'table', 'bridge', 'xs_policy'])).toBe(nft(REF_NS, ['list', 'table', 'bridge', 'xs_policy']));
    expect(nft(NFT_NS, ['list', 'table', 'bridge', 'xs_policy'])).toContain('tcp dport 8443 counter packets 0 bytes 0 accept comment "rule-0"');
    expect(pidsIn(NFT_NS)).toEqual([session]);

    await runner.run(['ip', '-force', '-batch', '-'], { stdin: `netns del ${NFT_NS}\nnetns del ${REF_NS}\n` });
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(`/proc/${session}`)).toBe(false);
    expect(ip('netns', 'list')).not.toContain(NFT_NS);
    // a namespace that is gone fails the run as `ip netns exec` would, with its message
    const noNs = await failure(viaSession(scripts.del));
    expect(noNs).toBeInstanceOf(CommandError);
    expect(noNs?.stderr).toContain(`Cannot open network namespace "${NFT_NS}"`);
  });
});
