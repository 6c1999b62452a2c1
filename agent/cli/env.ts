/**
 * `weft-agent env <container-id>`: the container's environment as `KEY=value` lines, for
 * `podman run --env-file` (a CNI plugin cannot set environment variables; docs/cni.md).
 *
 * It reads the host model the running agent saved in its state directory (the last-known-good file,
 * written on every model change), so it needs no socket and works while the agent restarts. A
 * container the model does not hold yet (the agent has not seen it in its feed) exits 1 saying so:
 * run it again in a moment, or ask the API (`container(id) { environment { name value } }`).
 */
import { loadLastKnownGood } from '../state/last-known-good.ts';
import { AttachError, attachResult, findLocalContainer } from '../runtime/env.ts';
import { type Command, UsageError } from './command.ts';

export const envCommand: Command = {
  summary: "print a container's environment (SCALINGO_*) for podman run --env-file",
  usage: 'weft-agent env <container-id> [--state-dir DIR] [--env-prefix SCALINGO_]',
  flags: ['state-dir', 'env-prefix'],
  async run(positional, { out, err, env }) {
    if (positional.length !== 1) throw new UsageError('give exactly one container id (ctr-…)');
    const stateDir = env.WEFT_STATE_DIR ?? '/var/lib/weft';
    const prefix = env.WEFT_ENV_PREFIX ?? 'SCALINGO_';
    if (!/^[A-Z][A-Z0-9_]*$/.test(prefix)) throw new UsageError('--env-prefix: upper-case letters, digits and _, starting with a letter');
    try {
      const { network, container } = findLocalContainer(loadLastKnownGood(stateDir), positional[0]);
      const r = attachResult(network, container, 'eth0', prefix);
      out.write(
        Object.entries(r.env)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return 0;
    } catch (e) {
      if (!(e instanceof AttachError)) throw e;
      err.write(`weft-agent env: ${e.code}: ${e.message} (state dir ${stateDir})\n`);
      return 1;
    }
  },
};
