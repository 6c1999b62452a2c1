import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The database's generation (docs/architecture.md §8.3): one row, written by the migration that
 * creates the table, so it is born with the database file and copied with it. Agents fence on it:
 * an API answering with another generation is running on another database.
 */
export const databaseGeneration = sqliteTable('database_generation', {
  id: text('id').primaryKey(), // 32 hex digits, random
  createdAt: integer('created_at').notNull(), // ms since the epoch
});
