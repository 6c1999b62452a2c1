/**
 * The last-known-good host model on disk (docs/architecture.md §7.4): written after every model change (atomically:
 * temp file + rename), read at start-up so the data plane and DNS keep serving while the API is
 * unreachable. It owns one file in the state directory and nothing else.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostConfig } from '../../protocol/model.ts';

const FILE = 'last-known-good.json';

/** Reads the saved model, or null when there is none (or it is unreadable: better none than wrong). */
export function loadLastKnownGood(stateDir: string): HostConfig | null {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as HostConfig;
    return typeof parsed?.revision === 'number' && Array.isArray(parsed.networks) ? parsed : null;
  } catch {
    return null;
  }
}

/** Saves the model atomically. */
export function saveLastKnownGood(stateDir: string, config: HostConfig): void {
  const path = join(stateDir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(config), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
