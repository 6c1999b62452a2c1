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
  const why = rootUnavailable(opts.tools);
  if (!why) {
    describe(name, fn);
  } else if (process.env.WEFT_REQUIRE_ROOT_SUITES === '1') {
    describe(name, () =>
      it('can run (WEFT_REQUIRE_ROOT_SUITES=1 forbids skipping)', () => {
        throw new Error(`${name}: ${why}`);
      }),
    );
  } else {
    console.warn(`[skip] ${name}: ${why}; set WEFT_REQUIRE_ROOT_SUITES=1 to fail instead`);
    describe.skip(`${name} (${why})`, fn);
  }
}
