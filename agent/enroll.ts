/**
 * `weft-agent enroll`: generate the host's WireGuard key on the host, register the host with the
 * API using an admin token, and keep the returned identity (host id + agent token) in the state
 * directory (mode 0600). Only the public key leaves the host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENROLMENT_FILE, type Enrolment } from './config.ts';
import type { CommandRunner } from './exec/runner.ts';
import { ensureWgKey } from './exec/wg-key.ts';

export interface EnrollOptions {
  apiUrl: string;
  adminToken: string;
  name: string;
  endpoint: string; // underlay ip:port of this host's WireGuard
  stateDir: string;
  runner: CommandRunner;
}

/** Registers this host and writes `<stateDir>/enrolment.json`; returns the identity. */
export async function enroll(opts: EnrollOptions): Promise<Enrolment & { meshIp: string; publicKey: string }> {
  const { publicKey } = await ensureWgKey(opts.runner, opts.stateDir);
  const response = await fetch(`${opts.apiUrl.replace(/\/$/, '')}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.adminToken}` },
    body: JSON.stringify({
      query: `mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id meshIp } agentToken } }`,
      variables: { i: { name: opts.name, endpoint: opts.endpoint, publicKey } },
    }),
  });
  const body = (await response.json()) as { data?: { registerHost: { host: { id: string; meshIp: string }; agentToken: string } }; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length || !body.data) throw new Error(`registerHost failed: ${body.errors?.[0]?.extensions?.code ?? response.status} ${body.errors?.[0]?.message ?? ''}`);
  const enrolment: Enrolment = { hostId: body.data.registerHost.host.id, token: body.data.registerHost.agentToken };
  writeFileSync(join(opts.stateDir, ENROLMENT_FILE), JSON.stringify(enrolment), { mode: 0o600 });
  return { ...enrolment, meshIp: body.data.registerHost.host.meshIp, publicKey };
}
