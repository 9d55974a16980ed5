/** Bits of the filter by default: 2^27 bits, 16 MB, whatever the window's size. */
export const DEFAULT_FILTER_BITS = 2 ** 27;
/** Positions set per line: three, taken from the line's SHA-256 itself (already uniform). */
const PROBES = 3;

/**
 * Numbers identical lines of one window as they stream past (1 for the
 * first, 2 for the next, …) in fixed memory: a Bloom filter of the lines'
 * SHA-256 seen so far, and exact counts only for the lines it may have
 * seen. A line the filter wrongly believes seen is numbered one too high,
 * with every later copy of it: such groups start at 2, and the load closes
 * their gap once the window is stored (see `suspects`). With 2.3 million
 * lines about one in ten thousand is such a false alarm.
 *
 * @example const counter = new OccurrenceCounter(); counter.next(sha) // 1, then 2 for the same sha
 */
export class OccurrenceCounter {
  private readonly filter: Uint8Array;
  /**
   * Occurrences so far and start (epoch ms) of each line numbered above 1,
   * by SHA-256. The start is kept as a number: a string taken out of the
   * line would keep the whole downloaded chunk it was cut from alive.
   */
  private readonly counts = new Map<string, { occurrences: number; eventStartMs: number }>();

  /** @param filterBits a multiple of 8; fewer bits, more false alarms (each costs a row moved after the COPY). */
  constructor(private readonly filterBits = DEFAULT_FILTER_BITS) {
    this.filter = new Uint8Array(filterBits / 8);
  }

  /** The occurrence of the line with this SHA-256 (64 hex digits) and start among the lines counted so far. */
  next(sha256: string, eventStart: string): number {
    if (this.markSeen(sha256)) return 1;
    const counted = this.counts.get(sha256) ?? { occurrences: 1, eventStartMs: Date.parse(eventStart) };
    counted.occurrences += 1;
    this.counts.set(sha256, counted);
    return counted.occurrences;
  }

  /** Every line numbered above 1, by start and SHA-256: true repeats, and the filter's false alarms among them. */
  suspects(): { eventStarts: string[]; sha256s: string[] } {
    const suspects = { eventStarts: [] as string[], sha256s: [] as string[] };
    for (const [sha256, { eventStartMs }] of this.counts) {
      suspects.eventStarts.push(new Date(eventStartMs).toISOString());
      suspects.sha256s.push(sha256);
    }
    return suspects;
  }

  /** Sets the line's bits; true when one of them was not yet set (the line is certainly new). */
  private markSeen(sha256: string): boolean {
    let fresh = false;
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = Number.parseInt(sha256.slice(probe * 8, probe * 8 + 8), 16) % this.filterBits;
      const mask = 1 << (bit & 7);
      const byte = bit >>> 3;
      if ((this.filter[byte]! & mask) === 0) {
        fresh = true;
        this.filter[byte]! |= mask;
      }
    }
    return fresh;
  }
}
