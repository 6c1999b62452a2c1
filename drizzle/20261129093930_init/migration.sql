CREATE TABLE `applications` (
	`id` text PRIMARY KEY,
	`project_id` text NOT NULL,
	`network_id` text NOT NULL,
	`name` text NOT NULL,
	`default_process_type` text NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT `fk_applications_project_id_projects_id_fk` FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_applications_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE,
	CONSTRAINT `applications_project_name` UNIQUE(`project_id`,`name`)
);
--> statement-breakpoint
CREATE TABLE `process_types` (
	`application_id` text NOT NULL,
	`name` text NOT NULL,
	`exposure` text NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT `process_types_pk` PRIMARY KEY(`application_id`, `name`),
	CONSTRAINT `fk_process_types_application_id_applications_id_fk` FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `changes` (
	`revision` integer PRIMARY KEY AUTOINCREMENT,
	`kind` text NOT NULL,
	`project_id` text,
	`network_id` text,
	`host_id` text,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `feed_state` (
	`key` text PRIMARY KEY,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `containers` (
	`id` text PRIMARY KEY,
	`project_id` text NOT NULL,
	`network_id` text NOT NULL,
	`application_id` text NOT NULL,
	`process_type` text NOT NULL,
	`number` integer NOT NULL,
	`host_id` text NOT NULL,
	`ip_offset` integer NOT NULL,
	`ip` text NOT NULL,
	`mac` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT `fk_containers_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_containers_application_id_applications_id_fk` FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_containers_host_id_hosts_id_fk` FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`),
	CONSTRAINT `containers_network_ip` UNIQUE(`network_id`,`ip_offset`),
	CONSTRAINT `containers_app_type_number` UNIQUE(`application_id`,`process_type`,`number`)
);
--> statement-breakpoint
CREATE TABLE `released_addresses` (
	`network_id` text NOT NULL,
	`ip_offset` integer NOT NULL,
	`released_at` integer NOT NULL,
	CONSTRAINT `released_addresses_pk` PRIMARY KEY(`network_id`, `ip_offset`),
	CONSTRAINT `fk_released_addresses_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY,
	`name` text NOT NULL UNIQUE,
	`endpoint` text NOT NULL,
	`public_key` text NOT NULL UNIQUE,
	`mesh_ip` text NOT NULL UNIQUE,
	`token_version` integer DEFAULT 1 NOT NULL,
	`last_heartbeat_at` integer,
	`applied_revision` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `networks` (
	`id` text PRIMARY KEY,
	`project_id` text NOT NULL UNIQUE,
	`vni` integer NOT NULL UNIQUE,
	`cidr` text NOT NULL,
	`gateway` text NOT NULL,
	`dns_ttl` integer NOT NULL,
	`ip_cursor` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT `fk_networks_project_id_projects_id_fk` FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `convergence_samples` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`host_id` text NOT NULL,
	`network_id` text,
	`revision` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`reported_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `host_network_status` (
	`host_id` text NOT NULL,
	`network_id` text NOT NULL,
	`healthy` integer NOT NULL,
	`message` text,
	`applied_revision` integer NOT NULL,
	`reported_at` integer NOT NULL,
	CONSTRAINT `host_network_status_pk` PRIMARY KEY(`host_id`, `network_id`)
);
--> statement-breakpoint
CREATE INDEX `changes_network` ON `changes` (`network_id`,`revision`);--> statement-breakpoint
CREATE INDEX `changes_host` ON `changes` (`host_id`,`revision`);--> statement-breakpoint
CREATE INDEX `changes_project` ON `changes` (`project_id`,`revision`);--> statement-breakpoint
CREATE INDEX `containers_host` ON `containers` (`host_id`,`network_id`);--> statement-breakpoint
CREATE INDEX `convergence_samples_network` ON `convergence_samples` (`network_id`,`reported_at`);--> statement-breakpoint
CREATE INDEX `convergence_samples_time` ON `convergence_samples` (`reported_at`);