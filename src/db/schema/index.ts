export * from './applications.ts';
export * from './changes.ts';
export * from './containers.ts';
export * from './hosts.ts';
export * from './networks.ts';
export * from './projects.ts';
export * from './status.ts';
export * from './webhooks.ts';
