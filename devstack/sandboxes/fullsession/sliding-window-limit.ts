const WINDOW_MS = 60_000;

/**
 * The sandbox's global request limit: at most `perMinute` accepted requests
 * in any sliding 60-second window, like FullSession's 20 per minute across
 * the whole external API.
 */
export class SlidingWindowLimit {
  private accepted: number[] = [];

  constructor(public perMinute: number | null) {}

  /** Returns 0 when the request may proceed (and counts it), else ms to wait. */
  take(now: number): number {
    if (this.perMinute === null) return 0;
    while (this.accepted.length > 0 && this.accepted[0]! <= now - WINDOW_MS) this.accepted.shift();
    if (this.accepted.length < this.perMinute) {
      this.accepted.push(now);
      return 0;
    }
    return this.accepted[0]! + WINDOW_MS - now;
  }
}
