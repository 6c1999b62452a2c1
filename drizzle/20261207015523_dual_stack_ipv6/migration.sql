ALTER TABLE `networks` ADD `ipv6` text DEFAULT 'ON' NOT NULL;--> statement-breakpoint
ALTER TABLE `networks` ADD `ipv6_cidr` text;--> statement-breakpoint
CREATE UNIQUE INDEX `networks_ipv6_cidr_unique` ON `networks` (`ipv6_cidr`);--> statement-breakpoint
-- Hand-added (keep when regenerating): existing networks get the /64 derived from their VNI, in
-- the RFC 5952 text of ulaOfVni (protocol/addressing/ipv6.ts): fd77:6674:<vni >> 16>:<vni & 0xffff>::/64,
-- the last group folded into '::' when it is 0. Their ipv6 switch is ON (the column default).
UPDATE `networks` SET `ipv6_cidr` = CASE WHEN (`vni` & 65535) = 0 THEN printf('fd77:6674:%x::/64', `vni` >> 16) ELSE printf('fd77:6674:%x:%x::/64', `vni` >> 16, `vni` & 65535) END WHERE `ipv6_cidr` IS NULL;
