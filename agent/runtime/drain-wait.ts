/**
 * `weft-agent drain <ctr> --wait`, the agent's side: drain a container of this host through the API,
 * then poll the API until it says the container is safe to stop (docs/architecture.md §8.9). The
 * runtime calls this before SIGTERM instead of guessing with a sleep.
 */
import type { ApiClient, DrainState } from '../api/client.ts';
import type { HostConfig } from '../../protocol/model.ts';
import { AttachError, findLocalContainer } from './env.ts';

export async function drainContainer(
  client: ApiClient,
  model: HostConfig | null,
  containerId: string,
  wait: boolean,
  log: (line: string) => void,
): Promise<DrainState> {
  findLocalContainer(model, containerId); // CONTAINER_UNKNOWN / CONTAINER_NOT_ON_THIS_HOST, before asking the API
  let state = await client.drain(containerId).catch((e: unknown) => {
    throw new AttachError('DRAIN_FAILED', `the API refused the drain: ${(e as Error).message}`, 502);
  });
  log(`agent: draining ${containerId} (revision ${state.revision}); ${wait ? 'waiting until it is safe to stop' : 'not waiting'}`);
  const deadline = Date.now() + 10 * 60_000;
  while (wait && !state.safeToStopAt) {
    if (Date.now() > deadline)
      throw new AttachError('DRAIN_FAILED', `not safe to stop after 10 minutes; hosts still behind: ${state.pendingHosts.join(', ')}`, 504);
    await new Promise((r) => setTimeout(r, 200));
    state = await client.drainStatus(containerId).catch(() => state);
  }
  return state;
}
