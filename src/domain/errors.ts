/**
 * Domain errors: the only errors whose message reaches a client. Each carries a stable code that
 * becomes `extensions.code` (docs/architecture.md §7.3); anything else is masked by Yoga.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT' | 'NETWORK_FULL' | 'POLICY_TEST_FAILED';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_USER_INPUT', message, details);
export const notFound = (what: string, id: string) => new DomainError('NOT_FOUND', `${what} ${id} not found`, { id });
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', message, details);
