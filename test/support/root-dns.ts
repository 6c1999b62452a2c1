// Root gating for the DNS kernel suites: skip without root or tools, but FAIL when
// WEFT_REQUIRE_ROOT_SUITES=1 (CI) so a misconfigured runner cannot pass by skipping.
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

const TOOLS = ['ip', 'dig', 'host'];

/** Why the root DNS suites cannot run here, or null when they can. */
export function rootDnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of TOOLS) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} not installed`;
    }
  }
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'cannot use network namespaces';
  }
  return null;
}

/** `describe` for a root-only suite, following the WEFT_REQUIRE_ROOT_SUITES switch. */
export function describeRootDns(name: string, body: () => void): void {
  const why = rootDnsUnavailable();
  if (!why) {
    describe(name, body);
  } else if (process.env.WEFT_REQUIRE_ROOT_SUITES === '1') {
    describe(name, () => it('can run (WEFT_REQUIRE_ROOT_SUITES=1)', () => { throw new Error(`root DNS suite required but ${why}`); }));
  } else {
    describe.skip(`${name} (${why})`, body);
  }
}
