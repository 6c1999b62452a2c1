ALTER TABLE `hosts` ADD `key_rotation_requested_at` integer;--> statement-breakpoint
ALTER TABLE `networks` ADD `multicast` text DEFAULT 'ON' NOT NULL;