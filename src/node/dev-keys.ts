/**
 * Node-only, local development: with no signing key configured, generate an Ed25519 key once into
 * the data directory and reuse it, so `npm start` works on a fresh clone. Never for production:
 * the start-up banner says so, and production sets AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

/** Where the development key of a data directory lives. */
export const devKeyPath = (dir: string) => join(dir, 'dev-signing-key.json');

/** The private JWK (JSON text) stored in `dir`, or null when none was generated yet. Never creates one. */
export function readDevKey(dir: string): { jwk: string; path: string } | null {
  const path = devKeyPath(dir);
  return existsSync(path) ? { jwk: readFileSync(path, 'utf8'), path } : null;
}

/** Returns the private JWK (JSON text) stored in `dir`, creating it on first use. */
export async function loadOrCreateDevKey(dir: string): Promise<{ jwk: string; created: boolean; path: string }> {
  const path = devKeyPath(dir);
  const stored = readDevKey(dir);
  if (stored) return { ...stored, created: false };
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = JSON.stringify(await exportJWK(privateKey));
  writeFileSync(path, jwk, { mode: 0o600 });
  return { jwk, created: true, path };
}
