import pThrottle from 'p-throttle';

const MINUTE_MS = 60_000;

/** Runs `call` when the account's rate budget allows. */
export type RateGate = <T>(call: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** The part of an account's budget shared by every worker process (see shared-rate-budget.ts). */
export interface SharedBudget {
  /** Resolves once a request slot is granted to this process. */
  take(signal?: AbortSignal): Promise<void>;
  pause(ms: number): Promise<void>;
}

/**
 * The request budget of one API account: at most `perMinute` calls in any
 * sliding minute. p-throttle (strict) guards this process; the optional
 * shared budget enforces the same limit across every process; a 429 pauses
 * every caller.
 */
export class RateBudget {
  private readonly throttle: <T>(call: () => Promise<T>) => Promise<T>;
  private pausedUntil = 0;

  constructor(
    readonly perMinute: number,
    private readonly shared?: SharedBudget,
    /** Told how long each request waited for its slot, for the wait-time metric. */
    private readonly onWait: (waitedMs: number) => void = () => {},
  ) {
    const throttled = pThrottle({ limit: perMinute, interval: MINUTE_MS, strict: true })(
      <T>(call: () => Promise<T>) => call(),
    );
    this.throttle = throttled as <T>(call: () => Promise<T>) => Promise<T>;
  }

  /** Pauses every caller of this budget, in every process, for `ms` (the API answered 429). */
  async pause(ms: number): Promise<void> {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    await this.shared?.pause(ms);
  }

  /**
   * Runs `call` once the budget allows it. The shared slot is taken last,
   * right before the call, so the grant's time is the request's time.
   */
  readonly gate: RateGate = async (call, signal) => {
    const asked = Date.now();
    for (let wait = this.pausedUntil - Date.now(); wait > 0; wait = this.pausedUntil - Date.now()) {
      await sleep(wait, signal);
    }
    signal?.throwIfAborted();
    return this.throttle(async () => {
      await this.shared?.take(signal);
      this.onWait(Date.now() - asked);
      return call();
    });
  };
}

/**
 * Waits `ms`, or rejects when `signal` aborts. The abort listener is removed
 * when the wait ends: an activity's one cancellation signal sees a wait per
 * page, and listeners left behind piled up past Node's limit of ten
 * (MaxListenersExceededWarning in the demo's and CI's output).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
