/**
 * The host's WireGuard key pair (issue 5, enrolment): generated on the host, never sent anywhere.
 *
 * Owns: `<stateDir>/wg.key` (mode 0600). Only the public key leaves this module; the private key is
 * handed to the kernel by path (`wg set … private-key <path>`), so it never sits in argv, logs or
 * the agent's memory beyond the moment it is written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner } from './runner';

/** Ensures a key exists in `stateDir` and returns `{ privateKeyPath, publicKey }`. */
export async function ensureWgKey(runner: CommandRunner, stateDir: string): Promise<{ privateKeyPath: string; publicKey: string }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(stateDir, 'wg.key');
  if (!existsSync(privateKeyPath)) {
    const { stdout } = await runner.run(['wg', 'genkey']);
    writeFileSync(privateKeyPath, stdout.trim() + '\n', { mode: 0o600, flag: 'wx' });
  }
  const { stdout } = await runner.run(['wg', 'pubkey'], { stdin: readFileSync(privateKeyPath, 'utf8') });
  return { privateKeyPath, publicKey: stdout.trim() };
}
