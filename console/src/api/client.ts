/**
 * GraphQL over HTTP to the API that served the page (same origin, /graphql). The token travels in the
 * Authorization header only, never in a URL. Errors keep the API's `extensions.code`, so an expired or
 * revoked token (UNAUTHENTICATED) can send the user back to sign-in.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const GRAPHQL_URL = new URL('/graphql', location.href).toString();

export async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`cannot reach the API: ${(error as Error).message}`, 'NETWORK');
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`the API answered HTTP ${response.status} without JSON`, 'NETWORK');
  }
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code ?? (response.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL_SERVER_ERROR'));
  return body.data as T;
}
