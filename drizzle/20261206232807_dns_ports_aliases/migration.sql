CREATE TABLE `network_aliases` (
	`network_id` text NOT NULL,
	`name` text NOT NULL,
	`application_id` text NOT NULL,
	`process_type` text,
	CONSTRAINT `network_aliases_pk` PRIMARY KEY(`network_id`, `name`),
	CONSTRAINT `fk_network_aliases_network_id_networks_id_fk` FOREIGN KEY (`network_id`) REFERENCES `networks`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_network_aliases_application_id_applications_id_fk` FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `process_ports` (
	`application_id` text NOT NULL,
	`process_type` text NOT NULL,
	`name` text NOT NULL,
	`port` integer NOT NULL,
	`protocol` text NOT NULL,
	CONSTRAINT `process_ports_pk` PRIMARY KEY(`application_id`, `process_type`, `name`, `protocol`),
	CONSTRAINT `fk_process_ports_application_id_applications_id_fk` FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON DELETE CASCADE
);
