/**
 * `weft-agent run`: the long-running agent. Stops on SIGINT/SIGTERM and leaves the data plane and the
 * DNS daemon running (a restart must interrupt neither traffic nor lookups). SIGUSR2 confirms
 * deletions held by the safety brake (as `weft-agent confirm` does).
 */
import { startAgent } from '../agent.ts';
import { parseAgentConfig } from '../config.ts';
import type { Command } from './command.ts';

export const runCommand: Command = {
  summary: 'follow the API and program this host (the default command)',
  usage: `weft-agent run [--api-url URL] [--state-dir DIR] [--prefix P] [--wg-mode kernel|external]
               [--dns-upstreams IP[:PORT],…] [--dns-port N] [--env-prefix SCALINGO_] [--attach-socket PATH] [--cni-conf-dir DIR]
               [--host-id ID --agent-token T | --agent-token-file F] [--host-netns NS]
               [--resync-ms N] [--debounce-ms N] [--brake-confirm-ms N]
Every flag has a WEFT_* environment twin (--api-url ↔ WEFT_API_URL).`,
  flags: [
    'api-url',
    'state-dir',
    'host-id',
    'agent-token',
    'agent-token-file',
    'prefix',
    'wg-mode',
    'env-prefix',
    'attach-socket',
    'cni-conf-dir',
    'dns-upstreams',
    'dns-port',
    'resync-ms',
    'debounce-ms',
    'brake-confirm-ms',
    'host-netns',
  ],
  async run(_positional, { out, env }) {
    const config = parseAgentConfig(env);
    const agent = await startAgent({
      config,
      hostNetns: env.WEFT_HOST_NETNS || undefined,
      log: (line) => out.write(`${new Date().toISOString()} ${line}\n`),
    });
    process.on('SIGUSR2', () => agent.confirmDeletes());
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    return 0;
  },
};
