import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, MIN_RETRY_AFTER_MS, retryAfterMs } from '../sources/http/retry-after.js';

describe('Retry-After', () => {
  const now = Date.UTC(2026, 10, 22, 12);
  it.each([
    ['7', 7_000],
    ['0', MIN_RETRY_AFTER_MS],
    [null, DEFAULT_RETRY_AFTER_MS],
    ['soon', DEFAULT_RETRY_AFTER_MS],
    [new Date(now + 30_000).toUTCString(), 30_000],
    [new Date(now - 30_000).toUTCString(), MIN_RETRY_AFTER_MS],
  ])('%s waits %i ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});
