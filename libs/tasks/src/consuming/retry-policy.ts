/**
 * The delay before the next attempt, after `attempts` failed ones: exponential
 * with "equal jitter" (half fixed, half random), so that tasks which failed
 * together do not all come back together. `random` is injectable for tests.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(exponential, 24 * 60 * 60 * 1000);
  return Math.round(capped / 2 + (capped / 2) * random());
}
