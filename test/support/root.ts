/**
 * The one switch for root-only suites. Without root they skip with a clear message; with
 * WEFT_REQUIRE_ROOT_SUITES=1 (CI) a missing root is a failure, so a skip can never pass silently.
 */
import { describe } from 'vitest';

/** True when the process can create network namespaces. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** `describe` for root-only suites: skips without root, throws when root is required but missing. */
export function describeRoot(name: string, fn: () => void): void {
  if (!isRoot && process.env.WEFT_REQUIRE_ROOT_SUITES === '1') {
    throw new Error(`${name}: needs root (network namespaces) and WEFT_REQUIRE_ROOT_SUITES=1 forbids skipping`);
  }
  if (!isRoot) console.warn(`[skip] ${name}: needs root (network namespaces); set WEFT_REQUIRE_ROOT_SUITES=1 to fail instead`);
  describe.skipIf(!isRoot)(name, fn);
}
