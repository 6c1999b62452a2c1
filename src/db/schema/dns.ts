import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { applications } from './applications.ts';
import { networks } from './networks.ts';

/**
 * A port a process type declares (issue 19): `_<name>._<protocol>.<type>.<app>.<pn>` answers SRV.
 * The process type need not have a row in `process_types` (types also appear with their first
 * container); a name is unique per application, type and protocol.
 */
export const processPorts = sqliteTable(
  'process_ports',
  {
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    processType: text('process_type').notNull(),
    name: text('name').notNull(),
    port: integer('port').notNull(),
    protocol: text('protocol', { enum: ['TCP', 'UDP'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.processType, t.name, t.protocol] })],
);

/** A network-scoped DNS name `<name>.<pn>…` that answers for an application or one of its process types. */
export const networkAliases = sqliteTable(
  'network_aliases',
  {
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    processType: text('process_type'),
  },
  (t) => [primaryKey({ columns: [t.networkId, t.name] })],
);
