/** `weft-agent <argv>` in this process (agent/main.ts), with stdout and stderr collected. */
import { main } from '../../agent/main.ts';

export async function runAgentCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, env });
  return { code, out, err };
}
