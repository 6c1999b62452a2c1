/**
 * Signing keys and the optional external IdP (issue 3): weak HS256 secrets are refused at load,
 * PKCS#8 EdDSA keys work, the JWKS endpoint serves only the public key and verifies Weft's tokens,
 * and an IdP's tokens are accepted as user tokens — never as admin or agent tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, type JWK, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../src/auth/keys.ts';
import { newEdKey, startTestApi, type TestApi } from '../support/api.ts';
import { buildWorld } from '../support/auth-world.ts';

let api: TestApi | undefined;
let idp: Server | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  await new Promise<void>((r) => (idp ? idp.close(() => r()) : r()));
  idp = undefined;
});

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.map((e) => e.extensions?.code);
const ME = `{ projects { edges { node { id } } } }`;

describe('signing keys', () => {
  it('refuses an HS256 secret shorter than 32 bytes, at load', async () => {
    await expect(loadSigningKeys({ hs256Secret: 'x'.repeat(31) })).rejects.toThrow(/at least 32 bytes, got 31/);
    await expect(loadSigningKeys({ hs256Secret: 'é'.repeat(15) })).rejects.toThrow(/got 30/); // bytes, not characters
    await expect(startTestApi({ AUTH_HS256_SECRET: 'short-secret' })).rejects.toThrow(/at least 32 bytes/);
  });

  it('accepts an HS256 secret of 32 bytes, and then serves no public keys', async () => {
    api = await startTestApi({ AUTH_HS256_SECRET: 's'.repeat(32) });
    expect(api.keys.alg).toBe('HS256');
    expect(code(await api.gql(ME))).toBeUndefined();
    expect(await (await api.fetch(new Request('http://weft.test/.well-known/jwks.json'))).json()).toEqual({ keys: [] });
  });

  it('refuses ambiguous or public-only key configuration', async () => {
    await expect(loadSigningKeys({ eddsaPrivateKey: await newEdKey(), hs256Secret: 's'.repeat(32) })).rejects.toThrow(/not both/);
    const { x, kty, crv } = JSON.parse(await newEdKey());
    await expect(loadSigningKeys({ eddsaPrivateKey: JSON.stringify({ kty, crv, x }) })).rejects.toThrow(/with d/);
    await expect(loadSigningKeys({})).rejects.toThrow(/no signing key/);
  });

  it('works with a PKCS#8 PEM Ed25519 key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const pem = await exportPKCS8(privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    api = await startTestApi({ AUTH_EDDSA_PRIVATE_KEY: pem });
    expect(api.keys.alg).toBe('EdDSA');
    expect(code(await api.gql(ME))).toBeUndefined();
    const jwks = (await (await api.fetch(new Request('http://weft.test/.well-known/jwks.json'))).json()) as { keys: JWK[] };
    expect(jwks.keys[0].x).toBe((await exportJWK(publicKey)).x);
  });

  it('serves the public key at /.well-known/jwks.json (never d), and tokens verify against it', async () => {
    api = await startTestApi();
    const response = await api.fetch(new Request('http://weft.test/.well-known/jwks.json'));
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: api.keys.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(JSON.stringify(jwks)).not.toContain(JSON.parse(api.config.auth.eddsaPrivateKey!).d);
    const token = await api.token({ kind: 'agent', sub: 'agent:h', host: 'host-h', ver: 1 });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['EdDSA'], issuer: 'weft', audience: 'weft-api' });
    expect(protectedHeader.kid).toBe(api.keys.kid);
    expect(payload).toMatchObject({ kind: 'agent', host: 'host-h', ver: 1, sub: 'agent:h' });
  });
});

/** A tiny IdP: an ES256 key whose public half is served as a JWKS on 127.0.0.1. */
async function startIdp() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  idp = createServer((req, res) => {
    fetches++;
    res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/jwks.json' ? JSON.stringify({ keys: [jwk] }) : '{}');
  });
  await new Promise<void>((r) => idp!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
  const sign = (claims: Record<string, unknown>, opts: { iss?: string; aud?: string; ttl?: number; key?: CryptoKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setSubject('alice@idp')
      .setIssuer(opts.iss ?? 'https://idp.example')
      .setAudience(opts.aud ?? 'weft-frontend')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.ttl ?? 600))
      .sign(opts.key ?? privateKey);
  return { url, sign, fetches: () => fetches };
}

describe('external IdP for user tokens', () => {
  it('accepts a user token from the IdP with its projects claim, and never an IdP admin or agent', async () => {
    const provider = await startIdp();
    api = await startTestApi({ AUTH_USER_JWKS_URL: provider.url, AUTH_USER_ISSUER: 'https://idp.example', AUTH_USER_AUDIENCE: 'weft-frontend' });
    const w = await buildWorld(api);
    const project = `query($p: ID!) { project(id: $p) { id } }`;
    const createApp = `mutation($p: ID!) { createApplication(input: { projectId: $p, name: "from-idp" }) { revision } }`;

    const reader = await provider.sign({ kind: 'user', projects: { [w.projectA]: 'read' } });
    expect((await api.ok(project, { p: w.projectA }, reader)).project.id).toBe(w.projectA);
    expect(code(await api.gql(project, { p: w.projectB }, reader))).toEqual(['NOT_FOUND']);
    expect(code(await api.gql(createApp, { p: w.projectA }, reader))).toEqual(['FORBIDDEN']);
    expect(provider.fetches()).toBeGreaterThan(0);
    // a token without `kind` is a user token too: the IdP's tokens can be nothing else
    const writer = await provider.sign({ projects: { [w.projectA]: 'write' } });
    expect(code(await api.gql(createApp, { p: w.projectA }, writer))).toBeUndefined();

    // "kind: admin" from the IdP is a user token (with projects) or no token at all (without)
    const adminWithProjects = await provider.sign({ kind: 'admin', projects: { [w.projectA]: 'read' } });
    expect(code(await api.gql(`{ hosts { edges { node { id } } } }`, {}, adminWithProjects))).toEqual(['FORBIDDEN']);
    expect(code(await api.gql(`mutation { createProject(input: { name: "idp" }) { revision } }`, {}, adminWithProjects))).toEqual(['FORBIDDEN']);
    const bareAdmin = await provider.sign({ kind: 'admin' });
    expect(code(await api.gql(`{ hosts { edges { node { id } } } }`, {}, bareAdmin))).toEqual(['UNAUTHENTICATED']);
    const agent = await provider.sign({ kind: 'agent', host: w.host1, ver: 1 });
    expect(code(await api.gql(`query($h: ID!) { hostConfig(hostId: $h) { revision } }`, { h: w.host1 }, agent))).toEqual(['UNAUTHENTICATED']);

    // the IdP's issuer, audience, expiry and signature are all checked
    expect(code(await api.gql(ME, {}, await provider.sign({ projects: {} }, { aud: 'someone-else' })))).toEqual(['UNAUTHENTICATED']);
    expect(code(await api.gql(ME, {}, await provider.sign({ projects: {} }, { ttl: -60 })))).toEqual(['UNAUTHENTICATED']);
    const stranger = (await generateKeyPair('ES256')).privateKey;
    expect(code(await api.gql(ME, {}, await provider.sign({ projects: {} }, { key: stranger })))).toEqual(['UNAUTHENTICATED']);
    // a token claiming Weft's issuer is checked with Weft's key only, not the IdP's
    expect(code(await api.gql(ME, {}, await provider.sign({ kind: 'admin' }, { iss: 'weft', aud: 'weft-api' })))).toEqual(['UNAUTHENTICATED']);

    // Weft's own tokens keep working, with their own error messages
    expect(code(await api.gql(`{ hosts { edges { node { id } } } }`))).toBeUndefined();
    const expired = await api.gql(ME, {}, await api.token({ kind: 'admin', sub: 'ops' }, -60));
    expect(expired.errors?.[0].message).toContain('token expired');
  });

  it('refuses an IdP without a named issuer, or with Weft’s own issuer, at start-up', async () => {
    const provider = await startIdp();
    await expect(startTestApi({ AUTH_USER_JWKS_URL: provider.url })).rejects.toThrow(/AUTH_USER_ISSUER/);
    await expect(startTestApi({ AUTH_USER_JWKS_URL: provider.url, AUTH_USER_ISSUER: 'weft' })).rejects.toThrow(/must differ/);
  });
});
