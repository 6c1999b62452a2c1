/**
 * Where a Node child script of the DNS path lives (the daemon, the bind helper).
 *
 * Owns: one lookup. From a checkout the script is the `.ts` file beside its caller, which Node 24
 * runs directly (type stripping). In the installed package the agent is a bundle (`npm run build`,
 * scripts/build.ts) and each child script is a `.mjs` bundle beside it: Node does not strip types
 * under node_modules, so the `.ts` files are not shipped.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The `.ts` script `name` next to `base` (an import.meta.url) when it exists, else the `.mjs` bundle of it. */
export function childScript(base: string, name: string): string {
  const source = fileURLToPath(new URL(`./${name}.ts`, base));
  return existsSync(source) ? source : fileURLToPath(new URL(`./${name}.mjs`, base));
}
