/**
 * The operator's routes on the attach socket (root only, like the rest of it):
 *
 *   POST /v1/confirm            → 200 {released}: apply the removals the safety brake holds
 *   POST /v1/accept-generation  → 200 {accepted: {generation, revision}} | 409 NOT_FENCED
 *   POST /v1/drain {containerId, wait?} → 200 DrainState; with wait, answers once it is safe to stop
 *   POST /v1/rotate-key         → 200 {previous, publicKey, ms}: a live host-key rotation
 *
 * Owns: request shapes only; the agent (agent.ts) does the work through the hooks.
 */
import { z } from 'zod';
import { AttachError } from './env';

import type { DrainState } from '../api/client.ts';

export type { DrainState };

export interface OperatorHooks {
  confirm(): number;
  acceptGeneration(): { generation: string; revision: number } | null;
  drain(containerId: string, wait: boolean): Promise<DrainState>;
  rotateKey(): Promise<{ previous: string; publicKey: string; ms: number }>;
}

const drainBody = z.object({ containerId: z.string().min(1).max(200), wait: z.boolean().optional() });

/** Handles an operator route, or returns undefined when the request is not one. */
export async function handleOperator(
  hooks: OperatorHooks | undefined,
  method: string | undefined,
  url: string | undefined,
  body: <T>(schema: z.ZodType<T>) => Promise<T>,
): Promise<unknown> {
  if (!hooks || method !== 'POST') return undefined;
  if (url === '/v1/confirm') return { released: hooks.confirm() };
  if (url === '/v1/accept-generation') {
    const accepted = hooks.acceptGeneration();
    if (!accepted) throw new AttachError('NOT_FENCED', 'this agent is not fenced: there is no new generation to accept', 409);
    return { accepted };
  }
  if (url === '/v1/rotate-key') return hooks.rotateKey();
  if (url === '/v1/drain') {
    const { containerId, wait } = await body(drainBody);
    return hooks.drain(containerId, wait ?? false);
  }
  return undefined;
}
