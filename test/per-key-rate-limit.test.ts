import { describe, expect, it } from 'vitest';
import { PerKeyRateLimit } from '../mcp/per-key-rate-limit.js';

describe("the MCP server's rate limit per key", () => {
  it('lets a key make its requests a minute, then says how long to wait; other keys are not affected', () => {
    let now = 0;
    const limit = new PerKeyRateLimit(3, () => now);
    expect([limit.take('a'), limit.take('a'), limit.take('a')]).toEqual([0, 0, 0]);
    now = 10_000;
    expect(limit.take('a')).toBe(50_000);
    expect(limit.take('b')).toBe(0);
    now = 60_001;
    expect(limit.take('a')).toBe(0);
  });
});
