/**
 * The operator's commands, each one call to the running agent over its attach socket
 * (docs/architecture.md §8.2, §8.3, §8.9):
 *
 *   weft-agent confirm             apply the removals the safety brake holds (as SIGUSR2 does)
 *   weft-agent accept-generation   trust the database generation the API answers now (lifts FENCED)
 *   weft-agent drain <ctr> [--wait] drain a container of this host; with --wait, return once it is safe to stop
 *   weft-agent rotate-key          a new WireGuard key for this host, live (no packet lost)
 *
 * Exit codes: 0 done, 1 the agent refused or is unreachable (the reason on stderr), 2 a bad command line.
 */
import { AttachApiError, callAttachApi } from '../runtime/client.ts';
import { defaultAttachSocket } from '../runtime/cli.ts';
import type { DrainState } from '../runtime/operator.ts';
import { type Command, type CommandIo, UsageError } from './command.ts';

const socketOf = (env: NodeJS.ProcessEnv) => env.WEFT_SOCKET ?? defaultAttachSocket(env);

async function call<T>(io: CommandIo, path: string, payload: unknown): Promise<T | null> {
  try {
    return await callAttachApi<T>(socketOf(io.env), 'POST', path, payload);
  } catch (e) {
    const why = e instanceof AttachApiError ? e.message : `the agent is not reachable on ${socketOf(io.env)}: ${(e as Error).message}`;
    io.err.write(`${why}\n`);
    return null;
  }
}

export const confirmCommand: Command = {
  summary: 'apply the removals the safety brake holds',
  usage: 'weft-agent confirm [--socket PATH] [--state-dir DIR]',
  flags: ['socket', 'state-dir'],
  async run(positional, io) {
    if (positional.length) throw new UsageError('confirm takes no arguments');
    const r = await call<{ released: number }>(io, '/v1/confirm', {});
    if (!r) return 1;
    io.out.write(r.released ? `released ${r.released} held objects: the agent applies the API's state now\n` : 'nothing is held: the brake is not engaged\n');
    return 0;
  },
};

export const acceptGenerationCommand: Command = {
  summary: "trust the API's new database generation (lifts FENCED)",
  usage: 'weft-agent accept-generation [--socket PATH] [--state-dir DIR]',
  flags: ['socket', 'state-dir'],
  async run(positional, io) {
    if (positional.length) throw new UsageError('accept-generation takes no arguments');
    const r = await call<{ accepted: { generation: string; revision: number } }>(io, '/v1/accept-generation', {});
    if (!r) return 1;
    io.out.write(
      `accepted generation ${r.accepted.generation} at revision ${r.accepted.revision}; removals it implies still meet the brake (weft-agent confirm)\n`,
    );
    return 0;
  },
};

export const rotateKeyCommand: Command = {
  summary: "replace this host's WireGuard key, live: peers swap to the new key without losing a packet",
  usage: 'weft-agent rotate-key [--socket PATH] [--state-dir DIR]',
  flags: ['socket', 'state-dir'],
  async run(positional, io) {
    if (positional.length) throw new UsageError('rotate-key takes no arguments');
    const r = await call<{ previous: string; publicKey: string; ms: number }>(io, '/v1/rotate-key', {});
    if (!r) return 1;
    io.out.write(`rotated: ${r.previous} -> ${r.publicKey} (published in ${r.ms} ms); peers swap as the change reaches them\n`);
    return 0;
  },
};

export const drainCommand: Command = {
  summary: 'drain a container of this host; --wait returns once it is safe to stop',
  usage: 'weft-agent drain <container-id> [--wait] [--socket PATH] [--state-dir DIR]',
  flags: ['socket', 'state-dir'],
  switches: ['wait'],
  async run(positional, io) {
    if (positional.length !== 1) throw new UsageError('give exactly one container id (ctr-…)');
    const wait = io.env.WEFT_WAIT === '1';
    const r = await call<DrainState>(io, '/v1/drain', { containerId: positional[0], wait });
    if (!r) return 1;
    io.out.write(`${JSON.stringify(r)}\n`);
    return 0;
  },
};
