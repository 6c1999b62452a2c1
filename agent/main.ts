/**
 * weft-agent — the host agent's command line.
 *
 *   weft-agent enroll --api-url URL --admin-token T --name NAME --endpoint IP:PORT [--state-dir DIR]
 *   weft-agent run    [--api-url URL] [--state-dir DIR] [--prefix P] [--wg-mode kernel|external] …
 *
 * Every flag has a WEFT_* environment twin (--api-url ↔ WEFT_API_URL); see README "Run an agent".
 * `run` stops on SIGINT/SIGTERM and leaves the data plane and the DNS daemon running (a restart must
 * not interrupt traffic or lookups). SIGUSR2 confirms deletions held by the safety brake.
 */
import { parseAgentConfig, flagsToEnv } from './config.ts';
import { startAgent } from './agent.ts';
import { enroll } from './enroll.ts';
import { createExecRunner } from './exec/runner.ts';

const USAGE = `usage:
  weft-agent enroll --api-url URL --admin-token TOKEN --name NAME --endpoint IP:PORT [--state-dir DIR]
  weft-agent run [--api-url URL] [--state-dir DIR] [--prefix P] [--wg-mode kernel|external]
                 [--dns-upstreams IP[:PORT],…] [--env-prefix SCALINGO_] [--attach-socket PATH]`;

async function main(argv: string[]): Promise<number> {
  const [command = 'run', ...rest] = argv;
  const env = { ...process.env, ...flagsToEnv(rest) };
  if (command === 'enroll') {
    const missing = ['WEFT_API_URL', 'WEFT_ADMIN_TOKEN', 'WEFT_NAME', 'WEFT_ENDPOINT'].filter((k) => !env[k]);
    if (missing.length) {
      console.error(`missing ${missing.map((k) => `--${k.slice(5).toLowerCase().replace(/_/g, '-')}`).join(', ')}\n${USAGE}`);
      return 2;
    }
    const runner = createExecRunner(env.WEFT_HOST_NETNS ? { prefix: ['nsenter', `--net=/run/netns/${env.WEFT_HOST_NETNS}`] } : {});
    const result = await enroll({
      apiUrl: env.WEFT_API_URL!,
      adminToken: env.WEFT_ADMIN_TOKEN!,
      name: env.WEFT_NAME!,
      endpoint: env.WEFT_ENDPOINT!,
      stateDir: env.WEFT_STATE_DIR ?? '/var/lib/weft',
      runner,
    });
    console.log(`enrolled host ${result.hostId} (mesh ${result.meshIp}, public key ${result.publicKey}); identity saved in the state directory`);
    return 0;
  }
  if (command !== 'run') {
    console.error(USAGE);
    return 2;
  }
  const config = parseAgentConfig(env);
  const agent = await startAgent({ config, hostNetns: env.WEFT_HOST_NETNS || undefined, log: (line) => console.log(`${new Date().toISOString()} ${line}`) });
  process.on('SIGUSR2', () => agent.confirmDeletes());
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`weft-agent: ${(error as Error).message}`);
    process.exit(1);
  },
);
