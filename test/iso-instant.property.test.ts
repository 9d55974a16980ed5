import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoInstant } from '../db/iso-instant.js';

describe('isoInstant', () => {
  it('writes every instant as toISOString does, over years 1970 to 9999 and the edges past them', () => {
    const instants = fc.oneof(
      fc.integer({ min: 0, max: 253_402_300_799_999 }),
      // Near one another, as a page's sessions are: many share an hour's text.
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 2) }),
      fc.constantFrom(0, 999, 59_999, 3_599_999, 3_600_000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), 253_402_300_799_999, 253_402_300_800_000, -1, 1.5),
    );
    fc.assert(
      fc.property(fc.array(instants, { minLength: 1, maxLength: 200 }), (batch) => {
        for (const ms of batch) expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 300 },
    );
  });
});
