/**
 * One weft-cni invocation: validate (spec.ts), ask the agent, print the result or the spec's error
 * object. Owns the per-command behaviour the spec asks for:
 * - ADD waits up to `timeoutMs` while the agent has not caught up (container not in its model yet,
 *   network not ready, agent restarting), then fails with the code of the last answer;
 * - DEL succeeds when the agent is stopped, the container unknown or the namespace gone;
 * - CHECK compares the runtime's prevResult with the agent's attachment;
 * - STATUS is 50 when the agent cannot attach, 51 when the network has errors;
 * - GC hands the runtime's valid attachments to the agent, which detaches the rest of the network.
 * Erasable TypeScript only: Node runs this file as it is.
 */
import type { AttachResult } from '../agent/runtime/env.ts';
import type { AgentStatus } from '../agent/runtime/status.ts';
import { AgentError, callAgent } from './client.ts';
import { CniError, CODES, errorResult, fromAttachError, TRANSIENT } from './errors.ts';
import { addResult, checkPrevResult, errorVersion, parseRequest, type Request, versionResult } from './spec.ts';

/** What one invocation prints and exits with. */
export interface Outcome {
  stdout: string;
  exitCode: number;
}

/** Runs one invocation with the given environment and stdin. Never throws. */
export async function runPlugin(
  env: Record<string, string | undefined>,
  stdin: string,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<Outcome> {
  let req: Request | null = null;
  try {
    req = parseRequest(env, stdin);
    const out = await perform(req, sleep);
    return { stdout: out === undefined ? '' : `${JSON.stringify(out)}\n`, exitCode: 0 };
  } catch (e) {
    const err =
      e instanceof CniError
        ? e
        : e instanceof AgentError
          ? fromAttachError(e.code, e.message, e.details)
          : new CniError(CODES.AGENT_ERROR, 'weft-cni failed', (e as Error).stack ?? String(e));
    return { stdout: `${JSON.stringify(errorResult(req?.cniVersion ?? errorVersion(stdin), err))}\n`, exitCode: 1 };
  }
}

async function perform(req: Request, sleep: (ms: number) => Promise<unknown>): Promise<unknown> {
  if (req.command === 'VERSION') return versionResult(req.cniVersion);
  const conf = req.conf!;
  const socket = conf.socket;
  switch (req.command) {
    case 'ADD': {
      const body = { cniContainerId: req.containerId, ifName: req.ifName, netnsPath: req.netns, networkId: conf.network, ...req.identity };
      const a = await retrying(conf.timeoutMs, sleep, () => callAgent<AttachResult>(socket, 'POST', '/v1/cni/add', body));
      return addResult(req.cniVersion, a, req.netns, conf.prevResult);
    }
    case 'CHECK': {
      const a = await callAgent<AttachResult>(socket, 'POST', '/v1/cni/check', {
        cniContainerId: req.containerId,
        ifName: req.ifName,
        networkId: conf.network,
        netnsPath: req.netns,
      });
      const problems = checkPrevResult(conf.prevResult!, a, req.ifName, req.netns);
      if (problems.length) throw new CniError(CODES.CHECK_FAILED, `the attachment differs from prevResult`, problems.join('; '));
      return undefined;
    }
    case 'DEL':
      try {
        await callAgent(socket, 'POST', '/v1/cni/del', { cniContainerId: req.containerId, ifName: req.ifName });
      } catch (e) {
        // A stopped agent: nothing to release now; the agent prunes attachments whose namespace is gone when it starts.
        if (!(e instanceof AgentError && e.code === 'UNREACHABLE')) throw e;
      }
      return undefined;
    case 'GC':
      await callAgent(socket, 'POST', '/v1/cni/gc', { networkId: conf.network, valid: conf.validAttachments ?? [] });
      return undefined;
    case 'STATUS': {
      let s: AgentStatus;
      try {
        s = await callAgent<AgentStatus>(socket, 'GET', '/v1/status');
      } catch (e) {
        const m = e instanceof AgentError ? e.message : String(e);
        throw new CniError(CODES.NOT_AVAILABLE, m);
      }
      if (!s.ready) throw new CniError(CODES.NOT_AVAILABLE, 'weft-agent is not ready to attach containers', s.problems.join('; '));
      const n = s.networks[conf.network];
      // A network the host has no container of yet has no sandbox: ADD creates it, so it counts as ready.
      if (n && !n.ready) throw new CniError(CODES.NOT_AVAILABLE_DEGRADED, `network ${conf.network} is not ready on this host`, n.errors.join('; '));
      return undefined;
    }
  }
}

/** Calls `f` until it succeeds, fails with a non-transient code, or `timeoutMs` has passed. */
async function retrying<T>(timeoutMs: number, sleep: (ms: number) => Promise<unknown>, f: () => Promise<T>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof AgentError) || !TRANSIENT.has(e.code) || Date.now() + wait > end) throw e;
      await sleep(wait);
    }
  }
}
