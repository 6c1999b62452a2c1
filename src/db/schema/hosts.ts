import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A machine that runs containers and a weft-agent. The WireGuard private key never leaves the host:
 * only the public key is stored. `tokenVersion` is bumped to revoke the host's agent token.
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
  createdAt: integer('created_at').notNull(),
});
