/**
 * The host's WireGuard key pair (issue 5, enrolment): generated on the host, never sent anywhere.
 *
 * Owns: `<stateDir>/wg.key` (mode 0600). Only the public key leaves this module; the private key is
 * handed to the kernel by path (`wg set … private-key <path>`), so it never sits in argv, logs or
 * the agent's memory beyond the moment it is written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Live rotation, step 1 (docs/agent-dataplane.md "Host-key rotation"): a new key replaces
 * `wg.key` atomically (written to `wg.key.next`, renamed over it); the old one stays in `wg.key.old`
 * until the rotation is published. Returns the new public key. The kernel still holds the old key:
 * the caller loads the file (`wg set … private-key`), then publishes the public key.
 */
export async function rotateWgKey(runner: CommandRunner, stateDir: string): Promise<{ privateKeyPath: string; publicKey: string }> {
  const privateKeyPath = join(stateDir, 'wg.key');
  const next = join(stateDir, 'wg.key.next');
  rmSync(next, { force: true }); // a rotation that stopped before its rename
  const { stdout } = await runner.run(['wg', 'genkey']);
  writeFileSync(next, stdout.trim() + '\n', { mode: 0o600, flag: 'wx' });
  writeFileSync(join(stateDir, 'wg.key.old'), readFileSync(privateKeyPath), { mode: 0o600 });
  renameSync(next, privateKeyPath);
  const pub = await runner.run(['wg', 'pubkey'], { stdin: readFileSync(privateKeyPath, 'utf8') });
  return { privateKeyPath, publicKey: pub.stdout.trim() };
}

/** Live rotation, last step: the new key is published, the old one is no longer needed. */
export function forgetOldWgKey(stateDir: string): void {
  rmSync(join(stateDir, 'wg.key.old'), { force: true });
}
