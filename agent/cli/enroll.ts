/** `weft-agent enroll`: register this host with the API once and save its identity in the state directory. */
import { enroll } from '../enroll.ts';
import { createExecRunner } from '../exec/runner.ts';
import { type Command, UsageError } from './command.ts';

export const enrollCommand: Command = {
  summary: 'register this host with the API and save its identity',
  usage: 'weft-agent enroll --api-url URL --admin-token TOKEN --name NAME --endpoint IP:PORT [--state-dir DIR] [--host-netns NS]',
  flags: ['api-url', 'admin-token', 'name', 'endpoint', 'state-dir', 'host-netns'],
  async run(_positional, { out, env }) {
    const missing = ['WEFT_API_URL', 'WEFT_ADMIN_TOKEN', 'WEFT_NAME', 'WEFT_ENDPOINT'].filter((k) => !env[k]);
    if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k.slice(5).toLowerCase().replace(/_/g, '-')}`).join(', ')}`);
    const runner = createExecRunner(env.WEFT_HOST_NETNS ? { prefix: ['nsenter', `--net=/run/netns/${env.WEFT_HOST_NETNS}`] } : {});
    const result = await enroll({
      apiUrl: env.WEFT_API_URL!,
      adminToken: env.WEFT_ADMIN_TOKEN!,
      name: env.WEFT_NAME!,
      endpoint: env.WEFT_ENDPOINT!,
      stateDir: env.WEFT_STATE_DIR ?? '/var/lib/weft',
      runner,
    });
    out.write(`enrolled host ${result.hostId} (mesh ${result.meshIp}, public key ${result.publicKey}); identity saved in the state directory\n`);
    return 0;
  },
};
