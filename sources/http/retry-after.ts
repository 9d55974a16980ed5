/** Never retry sooner than this, even on `Retry-After: 0`: avoids a hot loop. */
export const MIN_RETRY_AFTER_MS = 1_000;
/** Used when a 429 carries no usable Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * Reads `Retry-After` as seconds or as an HTTP date, clamped to at least
 * MIN_RETRY_AFTER_MS.
 *
 * @example retryAfterMs('3', Date.now()) // 3000
 */
export function retryAfterMs(header: string | null, now: number): number {
  if (header === null || header.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const trimmed = header.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (Number.isNaN(ms)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(MIN_RETRY_AFTER_MS, Math.ceil(ms));
}
