/** The per-network data-plane switches (docs/agent-dataplane.md). */
import { builder } from './builder.ts';

export const NetworkSwitchEnum = builder.enumType('NetworkSwitch', { values: ['ON', 'OFF'] as const });

export const MULTICAST_DESCRIPTION =
  "Broadcast, multicast and unknown unicast reach the containers of this network on every host (head-end replication, one copy per member host). OFF: they stay on the sender's host. Default ON; set at creation (createProject) or later (updateNetwork).";

export const IPV6_DESCRIPTION =
  "Dual-stack: every container also gets an IPv6 address in the network's unique-local /64 (same offset as its IPv4), with AAAA and ip6.arpa PTR records. OFF: IPv4 only. Default ON; set at creation (createProject) or later (updateNetwork).";
