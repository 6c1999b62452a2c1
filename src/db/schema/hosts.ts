import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A machine that runs containers and a weft-agent. The WireGuard private key never leaves the host:
 * only the public key is stored. `tokenVersion` is bumped to revoke the host's agent token.
 * `lastHeartbeatAt` is the time of the agent's latest report (a quiet agent still reports every few seconds).
 */
export const hosts = sqliteTable('hosts', {
  id: text('id').primaryKey(), // host-<uuid>
  name: text('name').notNull().unique(),
  endpoint: text('endpoint').notNull(),
  publicKey: text('public_key').notNull().unique(),
  meshIp: text('mesh_ip').notNull().unique(),
  tokenVersion: integer('token_version').notNull().default(1),
  lastHeartbeatAt: integer('last_heartbeat_at'),
  appliedRevision: integer('applied_revision'),
  // Liveness (docs/architecture.md §8.4): the API's call from heartbeats; DOWN hosts' containers leave DNS.
  liveness: text('liveness', { enum: ['UP', 'DOWN'] })
    .notNull()
    .default('UP'),
  livenessChangedAt: integer('liveness_changed_at'),
  // The last sweep at which the partition guard held this host back: its silence towards DOWN counts
  // from here, so a partition healing host by host marks nobody down (docs/architecture.md §8.4).
  livenessHeldBackAt: integer('liveness_held_back_at'),
  // What the agent last reported of its safety state (brake, fence), as JSON; null when all is clear.
  agentSafety: text('agent_safety'),
  // rotateHostKey: when an operator asked the host's agent for a new WireGuard key; cleared once
  // the host publishes one (docs/agent-dataplane.md "Host-key rotation").
  keyRotationRequestedAt: integer('key_rotation_requested_at'),
  createdAt: integer('created_at').notNull(),
});
