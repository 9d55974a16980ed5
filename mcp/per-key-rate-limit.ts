/**
 * A sliding one-minute window of requests per key, in this process: a
 * runaway assistant loop cannot flood Postgres. `take` counts a request and
 * returns 0, or how long to wait when the key is over its limit.
 */
export class PerKeyRateLimit {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): number {
    const now = this.now();
    const times = (this.recent.get(key) ?? []).filter((at) => at > now - 60_000);
    if (times.length >= this.perMinute) {
      this.recent.set(key, times);
      return times[0]! + 60_000 - now;
    }
    times.push(now);
    this.recent.set(key, times);
    return 0;
  }
}
