/**
 * The shapes of the GraphQL results the console reads (the selections in queries.ts), written by hand
 * from schema.graphql. The view models (model/) are pure functions of these.
 */
export type ContainerState = 'PENDING' | 'RUNNING' | 'DRAINING';
export type Exposure = 'PUBLIC' | 'PRIVATE';
export type DeliveryStatus = 'PENDING' | 'FAILED' | 'SUCCEEDED' | 'DEAD';

export interface Edges<T> {
  edges: { node: T }[];
  pageInfo?: { hasNextPage: boolean; endCursor: string | null };
}

export interface ContainerResult {
  id: string;
  number: number;
  processType: string;
  state: ContainerState;
  ip: string;
  hostname: string;
  application: { id: string };
  /** Admins only (Container.host). */
  host?: { id: string };
}

export interface HostResult {
  id: string;
  name: string;
  meshIp: string;
  liveness: 'UP' | 'DOWN';
}

export interface HostConvergenceResult {
  hostId: string;
  hostName: string;
  appliedRevision: number;
  pendingChanges: number;
  healthy: boolean | null;
  message: string | null;
  lastReportAt: string | null;
}

export interface ConvergenceResult {
  headRevision: number;
  converged: boolean;
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
  hosts: HostConvergenceResult[];
}

export interface ApplicationResult {
  id: string;
  name: string;
  defaultProcessType: string;
  privateDomainNames: string[];
  processTypes: { name: string; exposure: Exposure }[];
}

export interface DeliveryResult {
  id: string;
  eventType: string;
  revision: number;
  status: DeliveryStatus;
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
}

export interface WebhookEndpointResult {
  id: string;
  url: string;
  enabled: boolean;
  events: string[];
  lastDeliveredRevision: number;
  deliveries: Edges<DeliveryResult>;
}

export interface ProjectResult {
  id: string;
  name: string;
  network: { id: string; cidr: string; vni: number; gateway: string; dnsTtl: number; convergence: ConvergenceResult };
  applications: Edges<ApplicationResult>;
  webhookEndpoints: WebhookEndpointResult[];
}

export interface DnsRecordResult {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

export interface ResolveResult {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  records: DnsRecordResult[];
}

/** One change of `projectChanges` (FeedChange), as the console selects it. */
export interface FeedChangeResult {
  revision: number;
  kind: string;
  payload: Record<string, unknown>;
}

export interface FeedEventResult {
  type: 'CHANGE' | 'CURSOR' | 'RESYNC';
  revision: number;
  change: FeedChangeResult | null;
}
