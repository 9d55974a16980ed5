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

describe('every JSON-RPC message of a batch counts', () => {
  it('takes a batch whole or not at all, and a batch larger than the limit never', () => {
    let now = 0;
    const limit = new PerKeyRateLimit(120, () => now);
    expect(limit.take('a', 100)).toBe(0);
    now = 1_000;
    // 100 + 100 > 120: refused until the first batch leaves the minute, nothing counted.
    expect(limit.take('a', 100)).toBe(59_000);
    expect(limit.take('a', 20)).toBe(0);
    expect(limit.take('a', 1)).toBe(59_000);
    expect(limit.take('b', 121)).toBe(60_000);
    now = 60_001;
    expect(limit.take('a', 100)).toBe(0);
  });
});
