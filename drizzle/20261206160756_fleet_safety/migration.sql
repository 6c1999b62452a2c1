CREATE TABLE `database_generation` (
	`id` text PRIMARY KEY,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
-- The generation is born with the database: a random id and the creation time (docs/architecture.md §8.3).
INSERT INTO `database_generation` (`id`, `created_at`) VALUES (lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));--> statement-breakpoint
ALTER TABLE `containers` ADD `drain_revision` integer;--> statement-breakpoint
ALTER TABLE `containers` ADD `drain_ttl_expires_at` integer;--> statement-breakpoint
ALTER TABLE `containers` ADD `drain_applied_at` integer;--> statement-breakpoint
ALTER TABLE `containers` ADD `safe_to_stop_at` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `liveness` text DEFAULT 'UP' NOT NULL;--> statement-breakpoint
ALTER TABLE `hosts` ADD `liveness_changed_at` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `agent_safety` text;