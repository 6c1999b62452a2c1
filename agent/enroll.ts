/**
 * `weft-agent enroll`: generate the host's WireGuard key on the host, register the host with the
 * API using an admin token, and keep the returned identity (host id + agent token) in the state
 * directory (mode 0600). Only the public key leaves the host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, graphqlCall } from './api/client.ts';
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
  const data = await graphqlCall<{ registerHost: { host: { id: string; meshIp: string }; agentToken: string } }>(
    opts.apiUrl,
    opts.adminToken,
    `mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id meshIp } agentToken } }`,
    { i: { name: opts.name, endpoint: opts.endpoint, publicKey } },
  ).catch((error: ApiError) => {
    throw new Error(`registerHost failed: ${error.code ?? ''} ${error.message}`.trim());
  });
  const enrolment: Enrolment = { hostId: data.registerHost.host.id, token: data.registerHost.agentToken };
  writeFileSync(join(opts.stateDir, ENROLMENT_FILE), JSON.stringify(enrolment), { mode: 0o600 });
  return { ...enrolment, meshIp: data.registerHost.host.meshIp, publicKey };
}
