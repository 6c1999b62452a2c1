/**
 * The one switch for root-only suites. Without root (or a needed tool) they skip with a clear
 * message; with WEFT_REQUIRE_ROOT_SUITES=1 (CI) they fail instead, so a skip can never pass silently.
 */
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** True when the process can create network namespaces. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Why a root suite needing `tools` cannot run here, or null when it can. */
export function rootUnavailable(tools: readonly string[] = []): string | null {
  if (!isRoot) return 'needs root (network namespaces)';
  for (const tool of ['ip', ...tools]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} not installed`;
    }
  }
  return null;
}

/** `describe` for root-only suites: runs, skips with the reason, or (CI) fails with the reason. */
export function describeRoot(name: string, fn: () => void, opts: { tools?: readonly string[] } = {}): void {
  describeUnless(name, rootUnavailable(opts.tools), { mustRun: process.env.WEFT_REQUIRE_ROOT_SUITES === '1', how: 'WEFT_REQUIRE_ROOT_SUITES=1' }, fn);
}

/**
 * `describe` that runs when `why` is null; otherwise it skips with the reason, or, when `mustRun`
 * (CI), fails with it, so a suite that cannot run never passes in silence. `how` names the switch.
 */
export function describeUnless(name: string, why: string | null, require: { mustRun: boolean; how: string }, fn: () => void): void {
  if (!why) {
    describe(name, fn);
  } else if (require.mustRun) {
    describe(name, () =>
      it(`can run (${require.how} forbids skipping)`, () => {
        throw new Error(`${name}: ${why}`);
      }),
    );
  } else {
    console.warn(`[skip] ${name}: ${why}; set ${require.how} to fail instead`);
    describe.skip(`${name} (${why})`, fn);
  }
}
