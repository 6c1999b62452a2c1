/**
 * Signing and verification keys for Weft's own tokens. EdDSA (Ed25519) is preferred: its public
 * key is served at /.well-known/jwks.json so other services can verify agent and user tokens.
 * HS256 is accepted for simple setups, with a secret of at least 32 bytes (jose would take 5).
 */
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, type JWK } from 'jose';

export interface SigningKeys {
  alg: 'EdDSA' | 'HS256';
  kid: string;
  signKey: CryptoKey | Uint8Array;
  verifyKey: CryptoKey | Uint8Array;
  publicJwks: { keys: JWK[] };
}

export interface KeyConfig {
  eddsaPrivateKey?: string; // a private JWK (JSON) or a PKCS#8 PEM
  hs256Secret?: string;
}

/** Builds the key set from configuration; throws a readable error on weak or malformed keys. */
export async function loadSigningKeys(config: KeyConfig): Promise<SigningKeys> {
  if (config.eddsaPrivateKey && config.hs256Secret) throw new Error('configure either AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET, not both');
  if (config.hs256Secret !== undefined) {
    const secret = new TextEncoder().encode(config.hs256Secret);
    if (secret.byteLength < 32) throw new Error(`AUTH_HS256_SECRET must be at least 32 bytes, got ${secret.byteLength}`);
    return { alg: 'HS256', kid: 'hs256', signKey: secret, verifyKey: secret, publicJwks: { keys: [] } };
  }
  if (!config.eddsaPrivateKey) throw new Error('no signing key: set AUTH_EDDSA_PRIVATE_KEY (JWK or PKCS#8 PEM) or AUTH_HS256_SECRET');
  const text = config.eddsaPrivateKey.trim();
  let signKey: CryptoKey;
  let publicJwk: JWK;
  if (text.startsWith('{')) {
    const jwk = JSON.parse(text) as JWK;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d)
      throw new Error('AUTH_EDDSA_PRIVATE_KEY must be a private Ed25519 JWK (kty OKP, crv Ed25519, with d)');
    signKey = (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
    publicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  } else {
    signKey = await importPKCS8(text, 'EdDSA', { extractable: true });
    const full = await exportJWK(signKey);
    publicJwk = { kty: 'OKP', crv: 'Ed25519', x: full.x };
  }
  const kid = await calculateJwkThumbprint(publicJwk);
  const verifyKey = (await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  return { alg: 'EdDSA', kid, signKey, verifyKey, publicJwks: { keys: [{ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }] } };
}
