/**
 * Object refs shared by the schema files, with the row shapes they resolve from.
 */
import type { applications, containers, hosts, networks, processTypes, projects } from '../db/schema/index.ts';
import { builder } from './builder.ts';

export type ProjectRow = typeof projects.$inferSelect;
export type NetworkRow = typeof networks.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type ProcessTypeRow = typeof processTypes.$inferSelect & { projectId: string };
export type HostRow = typeof hosts.$inferSelect;
export type ContainerRow = typeof containers.$inferSelect;

export const ProjectRef = builder.objectRef<ProjectRow>('Project');
export const NetworkRef = builder.objectRef<NetworkRow>('PrivateNetwork');
export const ApplicationRef = builder.objectRef<ApplicationRow>('Application');
export const ProcessTypeRef = builder.objectRef<ProcessTypeRow>('ProcessType');
export const HostRef = builder.objectRef<HostRow>('Host');
export const ContainerRef = builder.objectRef<ContainerRow>('Container');

export const ExposureEnum = builder.enumType('Exposure', {
  values: ['PUBLIC', 'PRIVATE'] as const,
  description: 'Whether the public router may route to a process type.',
});
export const ContainerStateEnum = builder.enumType('ContainerState', { values: ['PENDING', 'RUNNING', 'DRAINING'] as const });
