import { SeenLinesFilter } from './seen-lines-filter.js';

/**
 * Numbers identical lines of one window as they stream past, where it can
 * be sure, in fixed memory: the first line of its kind (SeenLinesFilter
 * says new) is 1, and copies that follow it without a break are 2, 3, …
 * (FullStory writes repeated events one after the other). Any other copy,
 * and a line the filter wrongly takes for a copy, gets no number here: the
 * load numbers those in Postgres after the COPY, after the ones numbered
 * here (which are always 1..n of their kind).
 *
 * @example const numbers = new StreamedOccurrences(); numbers.next(a); numbers.next(a); numbers.next(b); numbers.next(a) // 1, 2, 1, undefined
 */
export class StreamedOccurrences {
  private readonly seen: SeenLinesFilter;
  /** The run of identical lines that is numbered here, if the last line belongs to one. */
  private run: { sha256: string; occurrence: number } | undefined;

  constructor(filterBits?: number) {
    this.seen = new SeenLinesFilter(filterBits);
  }

  /** The line's occurrence among its kind so far, or undefined when only Postgres can tell. */
  next(sha256: string): number | undefined {
    if (this.seen.isNew(sha256)) {
      this.run = { sha256, occurrence: 1 };
      return 1;
    }
    if (this.run?.sha256 === sha256) {
      this.run.occurrence += 1;
      return this.run.occurrence;
    }
    this.run = undefined;
    return undefined;
  }
}
