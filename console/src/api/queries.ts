/** The console's GraphQL documents. Only admins may select `hosts` and `Container.host`, so those parts are added for them alone. */
export const PROJECTS = `query Projects { projects(first: 100) { edges { node { id name network { id cidr } } } } }`;

/** The head before the state read: the live stream starts there, so nothing committed in between is missed. */
export const HEAD = `query Head($id: ID!) { projectChanges(projectId: $id, since: 0, first: 1) { head } }`;

export function projectQuery(admin: boolean): string {
  return `query Project($id: ID!) {
  project(id: $id) {
    id name
    network {
      id cidr vni gateway dnsTtl
      convergence { headRevision converged samples p50Ms p99Ms hosts { hostId hostName appliedRevision pendingChanges healthy message lastReportAt } }
    }
    applications(first: 100) { edges { node { id name defaultProcessType privateDomainNames processTypes { name exposure } } } }
    webhookEndpoints {
      id url enabled events lastDeliveredRevision
      deliveries(first: 10) { edges { node { id eventType revision status attempts lastResponseCode lastError lastAttemptAt createdAt } } }
    }
  }${admin ? '\n  hosts(first: 100) { edges { node { id name meshIp liveness } } }' : ''}
}`;
}

/** One page of the network's containers (100 is the API's page size limit). */
export function containersQuery(admin: boolean): string {
  return `query Containers($net: ID!, $after: String) {
  network(id: $net) { containers(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id number processType state ip hostname application { id }${admin ? ' host { id }' : ''} } }
  } }
}`;
}

export const ENVIRONMENT = `query Env($id: ID!) { container(id: $id) { hostname environment { name value } } }`;

export const SET_EXPOSURE = `mutation SetExposure($app: ID!, $type: String!, $exposure: Exposure!) {
  setProcessExposure(applicationId: $app, processType: $type, exposure: $exposure) { revision application { id processTypes { name exposure } } }
}`;

export const REDELIVER = `mutation Redeliver($id: ID!) { redeliver(deliveryId: $id) { delivery { id status } } }`;

export const PROJECT_CHANGES = `subscription Live($id: ID!, $since: Int!) {
  projectChanges(projectId: $id, since: $since) { type revision change { revision kind payload } }
}`;
