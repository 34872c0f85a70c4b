export interface RetryPolicy {
  /** failed tries in a row (without any progress) before giving up */
  tries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Wait before try number `failures + 1`: exponential, capped, with "equal jitter" (half fixed,
 * half random) so many boxes behind one flaky link do not retry in lockstep.
 */
export function backoffDelay(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
