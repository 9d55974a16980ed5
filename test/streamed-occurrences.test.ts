import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamedOccurrences } from '../sources/fullstory/streamed-occurrences.js';

const sha = (line: string) => createHash('sha256').update(line).digest('hex');

describe('StreamedOccurrences', () => {
  it('numbers a run of identical lines that starts with the first of its kind, and leaves later copies to Postgres', () => {
    const numbers = new StreamedOccurrences();
    const [a, b] = [sha('a'), sha('b')];
    expect([a, a, a, b, a, b, b].map((line) => numbers.next(line))).toEqual([1, 2, 3, 1, undefined, undefined, undefined]);
  });

  it('numbers nothing but the first lines when its filter takes every later line for a copy', () => {
    // 8 bits: the filter is full after a few dozen distinct lines, and from then on every line looks seen.
    const numbers = new StreamedOccurrences(8);
    const lines = Array.from({ length: 200 }, (_, n) => sha(`line ${n}`));
    const numbered = lines.map((line) => numbers.next(line));
    expect(numbered.filter((n) => n !== undefined && n !== 1)).toEqual([]);
    expect(numbered.slice(-100)).toEqual(Array(100).fill(undefined));
  });
});
