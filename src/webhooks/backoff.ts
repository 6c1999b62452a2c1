/**
 * Retry schedule: exponential backoff with "equal jitter" — the delay after attempt n is uniformly
 * drawn from [d/2, d] with d = min(cap, base · 2^(n-1)). Half the delay is guaranteed, so retries
 * never bunch up at zero; the random half spreads a fleet of endpoints that failed together.
 */
export interface BackoffSettings {
  backoffBaseMs: number;
  backoffCapMs: number;
}

/** Milliseconds to wait after the `attempt`-th failed attempt (1-based). `random` is in [0, 1). */
export function retryDelayMs(settings: BackoffSettings, attempt: number, random: number = Math.random()): number {
  const ceiling = Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
