/** Bits of the filter by default: 2^27 bits, 16 MB, whatever the window's size. */
export const DEFAULT_FILTER_BITS = 2 ** 27;
/** Positions set per line: three, taken from the line's SHA-256 itself (already uniform). */
const PROBES = 3;

/**
 * Tells, in fixed memory, which lines of a window are certainly the first
 * of their kind: a Bloom filter of the SHA-256 of the lines seen so far. A
 * line it calls new is new; a line it calls seen may be a repeat or one of
 * its false alarms (with 2.3 million lines about one in ten thousand).
 * It holds nothing per line, whatever the file's size (StreamedOccurrences
 * numbers lines with it).
 *
 * @example const seen = new SeenLinesFilter(); seen.isNew(sha) // true, then false for the same sha
 */
export class SeenLinesFilter {
  private readonly filter: Uint8Array;

  /** @param filterBits a multiple of 8; fewer bits, more false alarms (each costs a row numbered after the COPY). */
  constructor(private readonly filterBits = DEFAULT_FILTER_BITS) {
    this.filter = new Uint8Array(filterBits / 8);
  }

  /** Marks the line with this SHA-256 (64 hex digits) seen; true when it certainly had not been. */
  isNew(sha256: string): boolean {
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
