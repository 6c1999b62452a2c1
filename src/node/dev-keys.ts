/**
 * Node-only, local development: with no signing key configured, generate an Ed25519 key once into
 * the data directory and reuse it, so `npm start` works on a fresh clone. Never for production:
 * the start-up banner says so, and production sets AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

/** Returns the private JWK (JSON text) stored in `dir`, creating it on first use. */
export async function loadOrCreateDevKey(dir: string): Promise<{ jwk: string; created: boolean; path: string }> {
  const path = join(dir, 'dev-signing-key.json');
  if (existsSync(path)) return { jwk: readFileSync(path, 'utf8'), created: false, path };
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = JSON.stringify(await exportJWK(privateKey));
  writeFileSync(path, jwk, { mode: 0o600 });
  return { jwk, created: true, path };
}
