CREATE TABLE `network_policies` (
	`network_id` text PRIMARY KEY,
	`mode` text NOT NULL,
	`rules` text NOT NULL,
	`tests` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT `fk_network_policies_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `policy_counters` (
	`host_id` text NOT NULL,
	`network_id` text NOT NULL,
	`counter` text NOT NULL,
	`version` integer NOT NULL,
	`packets` integer NOT NULL,
	`bytes` integer NOT NULL,
	`reported_at` integer NOT NULL,
	CONSTRAINT `policy_counters_pk` PRIMARY KEY(`host_id`, `network_id`, `counter`),
	CONSTRAINT `fk_policy_counters_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE
);
