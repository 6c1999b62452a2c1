/**
 * The error codes of weft-cni: the CNI spec's well-known ones (0–99) and Weft's own (100+), and the
 * mapping from the attach API's codes (agent/runtime/env.ts). Every error the plugin prints is the
 * spec's error object on stdout, with a message that says what to fix.
 *
 * Erasable TypeScript only (no enums, no parameter properties): Node runs this file as it is.
 */

/** The spec's well-known codes (CNI spec 1.1.0, section 5 "Error") and Weft's plugin-specific ones. */
export const CODES = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENVIRONMENT: 4,
  IO_FAILURE: 5,
  DECODING_FAILURE: 6,
  INVALID_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  NOT_AVAILABLE: 50,
  NOT_AVAILABLE_DEGRADED: 51,
  // Weft's own
  CONTAINER_ON_ANOTHER_HOST: 100,
  IDENTITY: 101,
  WRONG_NETWORK: 102,
  CHECK_FAILED: 103,
  AGENT_ERROR: 104,
} as const;

/** An error to print as the spec's error object. */
export class CniError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, msg: string, details = '') {
    super(msg);
    this.name = 'CniError';
    this.code = code;
    this.details = details;
  }
}

/** The spec's error object. */
export interface CniErrorResult {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** The error object for `e`, in `cniVersion`. */
export function errorResult(cniVersion: string, e: CniError): CniErrorResult {
  return e.details ? { cniVersion, code: e.code, msg: e.message, details: e.details } : { cniVersion, code: e.code, msg: e.message };
}

/** Attach API code → CNI code. */
const FROM_ATTACH: Record<string, number> = {
  AGENT_NOT_READY: CODES.TRY_AGAIN_LATER,
  NETWORK_NOT_READY: CODES.TRY_AGAIN_LATER,
  CONTAINER_UNKNOWN: CODES.UNKNOWN_CONTAINER,
  CONTAINER_NOT_ON_THIS_HOST: CODES.CONTAINER_ON_ANOTHER_HOST,
  NETNS_NOT_FOUND: CODES.INVALID_ENVIRONMENT,
  IDENTITY_MISSING: CODES.IDENTITY,
  IDENTITY_MISMATCH: CODES.IDENTITY,
  WRONG_NETWORK: CODES.WRONG_NETWORK,
  NOT_ATTACHED: CODES.CHECK_FAILED,
  BAD_REQUEST: CODES.INVALID_CONFIG,
  UNREACHABLE: CODES.TRY_AGAIN_LATER,
};

/** The CNI error for an error answered by the agent's attach API. */
export function fromAttachError(code: string, message: string, details: string[] = []): CniError {
  return new CniError(FROM_ATTACH[code] ?? CODES.AGENT_ERROR, `${code}: ${message}`, details.join('; '));
}

/** Attach API codes worth waiting for during ADD (the agent has not caught up with the scheduler yet). */
export const TRANSIENT = new Set(['AGENT_NOT_READY', 'NETWORK_NOT_READY', 'CONTAINER_UNKNOWN', 'UNREACHABLE']);
