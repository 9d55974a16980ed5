/**
 * A sliding one-minute window of calls per key, in this process: a
 * runaway assistant loop cannot flood Postgres. `take` counts `calls` (each
 * JSON-RPC message of a request: a batch holds up to 100) and returns 0, or
 * how long to wait until all of them fit; a request that does not fit counts nothing.
 */
export class PerKeyRateLimit {
  private readonly recent = new Map<string, number[]>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string, calls = 1): number {
    const now = this.now();
    const times = (this.recent.get(key) ?? []).filter((at) => at > now - 60_000);
    this.recent.set(key, times);
    if (calls > this.perMinute) return 60_000;
    if (times.length + calls > this.perMinute) return times[times.length + calls - this.perMinute - 1]! + 60_000 - now;
    for (let i = 0; i < calls; i++) times.push(now);
    return 0;
  }
}
