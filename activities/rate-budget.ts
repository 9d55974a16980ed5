import pThrottle from 'p-throttle';
import type { RateGate } from '../sources/fullsession/fullsession-client.js';

const MINUTE_MS = 60_000;

/**
 * The request budget of one API account inside this process: at most
 * `perMinute` calls in any sliding minute (p-throttle's strict mode), and a
 * pause that every caller honours after a 429.
 */
export class RateBudget {
  private readonly throttle: <T>(call: () => Promise<T>) => Promise<T>;
  private pausedUntil = 0;

  constructor(readonly perMinute: number) {
    const throttled = pThrottle({ limit: perMinute, interval: MINUTE_MS, strict: true })(
      <T>(call: () => Promise<T>) => call(),
    );
    this.throttle = throttled as <T>(call: () => Promise<T>) => Promise<T>;
  }

  /** Pauses every caller of this budget for `ms` (FullSession answered 429). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Runs `call` once the budget allows it. */
  readonly gate: RateGate = async (call, signal) => {
    for (let wait = this.pausedUntil - Date.now(); wait > 0; wait = this.pausedUntil - Date.now()) {
      await sleep(wait, signal);
    }
    signal?.throwIfAborted();
    return this.throttle(call);
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
