#!/usr/bin/env node
/**
 * weft-cni: Weft's CNI plugin (CNI spec 1.1.0; 1.0.0 and 0.4.0 configurations too), a thin client
 * of the local weft-agent's attach socket. A runtime runs it with CNI_* variables and the network
 * configuration on stdin; it prints the result or the spec's error object on stdout. See docs/cni.md.
 *
 * Runs as it is under Node ≥ 24 (erasable TypeScript, `node cni/main.ts`), under tsx, and as the
 * JavaScript a build emits from it.
 */
import { runPlugin } from './plugin.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

// Runtimes call a CNI plugin without arguments (CNI_* variables and stdin). A person may not.
const USAGE = `usage: weft-cni   (run by a container runtime: CNI_COMMAND=ADD|DEL|CHECK|STATUS|GC|VERSION, network configuration on stdin)
Weft's CNI plugin: a thin client of the local weft-agent's attach socket. See docs/cni.md.
`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.length) {
  process.stderr.write(`weft-cni: unknown argument ${JSON.stringify(args[0])} (a CNI plugin takes none)\n${USAGE}`);
  process.exit(2);
}

const { stdout, exitCode } = await runPlugin(process.env, await readStdin());
process.stdout.write(stdout, () => process.exit(exitCode));
