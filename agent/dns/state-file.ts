/**
 * The DNS daemon's last-known-good state on disk.
 *
 * Owns: one JSON file holding the model the daemon serves, its socket bindings and upstreams,
 * written atomically (temp file + rename), so a restarted or successor daemon serves the same
 * answers even while the API and the agent are both down. Writes are coalesced (StateWriter): a
 * burst of changes costs one write, not one per change, and none sits on a change's reply path.
 * Never holds secrets: the model is plain, public-to-the-host data.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { NetworkModel } from '../../protocol/model.ts';
import type { Upstream } from './resolv-conf.ts';
import type { Binding } from './server.ts';

export interface DnsState {
  networks: NetworkModel[];
  bindings: [string, Binding][];
  upstreams?: Upstream[];
  // Names the model `networks` holds: set by the agent's client with each setNetworks or patch, so a
  // patch computed against another model (this daemon restarted from an older file) is refused.
  epoch?: string;
}

/** Reads `path`; a missing or unreadable file is an empty state, never an error. */
export async function readState(path: string): Promise<DnsState> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as Partial<DnsState>;
    return {
      networks: Array.isArray(s.networks) ? s.networks : [],
      bindings: Array.isArray(s.bindings) ? s.bindings : [],
      upstreams: s.upstreams,
      epoch: typeof s.epoch === 'string' ? s.epoch : undefined,
    };
  } catch {
    return { networks: [], bindings: [] };
  }
}

/** Writes `state` to `path` atomically: readers see the old file or the new one, never half. */
export async function writeState(path: string, state: DnsState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * Keeps `path` up to date with the latest state without a write per change: `set` records the
 * state and schedules one write `delayMs` later (changes in between ride along); writes never
 * overlap, and a write that fails is retried with the next change or flush. `flush` resolves once
 * the latest state set so far is on disk: call it before handing the model to a successor or
 * exiting. `flushSync` is for a signal handler that exits right after.
 */
export class StateWriter {
  private latest: DnsState | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly path: string;
  private readonly delayMs: number;
  private readonly onError: (err: Error) => void;

  constructor(path: string, delayMs = 100, onError: (err: Error) => void = () => undefined) {
    this.path = path;
    this.delayMs = delayMs;
    this.onError = onError;
  }

  /** Records `state` as the latest and schedules its write. */
  set(state: DnsState): void {
    this.latest = state;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  /** Writes the latest state now, after any write in progress; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty || !this.latest) return;
      const state = this.latest;
      this.dirty = false;
      try {
        await writeState(this.path, state);
      } catch (err) {
        if (this.latest === state) this.dirty = true;
        this.onError(err as Error);
      }
    });
    return this.writing;
  }

  /** Writes the latest state synchronously if it is not on disk yet (the process exits next). */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty || !this.latest) return;
    const tmp = `${this.path}.${process.pid}.exit.tmp`;
    writeFileSync(tmp, JSON.stringify(this.latest), { mode: 0o600 });
    renameSync(tmp, this.path);
    this.dirty = false;
  }
}
