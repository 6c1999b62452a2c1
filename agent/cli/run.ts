/**
 * `weft-agent run`: the long-running agent. Stops on SIGINT/SIGTERM and leaves the data plane and the
 * DNS daemon running (a restart must interrupt neither traffic nor lookups). SIGUSR2 confirms
 * deletions held by the safety brake (as `weft-agent confirm` does).
 */
import { startAgent } from '../agent.ts';
import { parseAgentConfig } from '../config.ts';
import { agentLogger } from '../metrics/logger.ts';
import { createAgentMetrics } from '../metrics/registry.ts';
import { parseListenAddress, startMetricsListener } from '../metrics/server.ts';
import { type Command, UsageError } from './command.ts';

/** A bad --metrics-address is a bad command line (exit 2), not a failure. */
function checkListenAddress(text: string): void {
  try {
    parseListenAddress(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const runCommand: Command = {
  summary: 'follow the API and program this host (the default command)',
  usage: `weft-agent run [--api-url URL] [--state-dir DIR] [--prefix P] [--wg-mode kernel|external]
               [--dns-upstreams IP[:PORT],…] [--dns-port N] [--env-prefix SCALINGO_] [--attach-socket PATH] [--cni-conf-dir DIR]
               [--host-id ID --agent-token T | --agent-token-file F] [--host-netns NS]
               [--resync-ms N] [--debounce-ms N] [--brake-confirm-ms N] [--brake-near-empty SHARE] [--heartbeat-ms N]
               [--metrics-address HOST:PORT] [--log-format json|pretty]
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
    'brake-near-empty',
    'heartbeat-ms',
    'host-netns',
    'metrics-address',
    'log-format',
  ],
  async run(_positional, { out, env }) {
    const format = env.WEFT_LOG_FORMAT ?? 'json';
    if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format must be json or pretty, not ${JSON.stringify(format)}`);
    if (env.WEFT_METRICS_ADDRESS) checkListenAddress(env.WEFT_METRICS_ADDRESS);
    const config = parseAgentConfig(env);
    // JSON lines with the host id (agent/metrics/logger.ts); every `log(line)` call site stays as it is.
    const log = agentLogger({ hostId: config.hostId, format, destination: out === process.stdout ? undefined : { write: (s: string) => void out.write(s) } });
    const metrics = env.WEFT_METRICS_ADDRESS ? createAgentMetrics() : undefined;
    const listener = metrics && env.WEFT_METRICS_ADDRESS ? await startMetricsListener(metrics.registry, env.WEFT_METRICS_ADDRESS) : null;
    if (listener) log(`agent: metrics on ${listener.url}`);
    const agent = await startAgent({ config, hostNetns: env.WEFT_HOST_NETNS || undefined, log, metrics });
    process.on('SIGUSR2', () => agent.confirm());
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    await listener?.close();
    return 0;
  },
};
