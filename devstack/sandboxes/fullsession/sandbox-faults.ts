import { seededRandom } from '../random.js';

/** Ways the sandbox can misbehave, one per failure the sync must survive. */
export type FaultKind =
  | 'server_error' // 503 with an HTML body
  | 'latency' // answers correctly after `latencyMs`
  | 'drop' // closes the connection without answering
  | 'truncate' // 201 with the JSON cut in half
  | 'non_json' // 201 with an HTML body
  | 'short_page' // a correct page with fewer sessions than it could hold
  | 'bad_record' // a correct page plus two invalid sessions
  | 'rate_limited' // 429 with the Retry-After of `retryAfter()`
  | 'echo_headers' // 400 whose JSON body quotes the request's headers, Authorization included, as some proxies do
  | 'echo_headers_html' // 201 with an HTML error page quoting the request's headers
  | 'gzip_bomb'; // 201, gzip: about 300 KB on the wire that expand to `gzipBombBytes` of JSON

/**
 * How the API pages, when it misbehaves: 'cycle' hands out a query's first
 * cursor again from its third page on (A, B, A, …); 'endless_empty' answers
 * every page with no sessions and a fresh cursor.
 */
export type PagingMischief = 'none' | 'cycle' | 'endless_empty';

/** A request held by `FaultSwitch.holdNext`: a test's fixed point in the middle of a fetch. */
export interface HeldRequest {
  /** Resolves when the held request has arrived. */
  arrived: Promise<void>;
  /** Lets it be answered. */
  release(): void;
}

/** What a held request is picked by: the fields of the sandbox's request log. */
export type RequestFilter = (request: { siteId: string; startTime: number | null; endTime: number | null; cursor: string | null }) => boolean;

export interface RandomFaults {
  /** Share of API requests that fail, 0 to 1. */
  rate: number;
  kinds: FaultKind[];
  latencyMs?: number;
  seed?: number;
}

/**
 * Decides which fault, if any, the next API request gets: first from a queue
 * of scheduled faults (deterministic tests), then by chance (fault suites).
 */
export class FaultSwitch {
  private queue: FaultKind[] = [];
  private random: RandomFaults | undefined;
  private hold: { which: RequestFilter; arrive: () => void; released: Promise<void> } | undefined;
  private roll: () => number = Math.random;
  latencyMs = 2_000;
  /** The Retry-After header a `rate_limited` fault sends: seconds, or an HTTP date. */
  retryAfter: () => string = () => '1';
  paging: PagingMischief = 'none';
  gzipBombBytes = 300_000_000;

  /** The next `count` API requests fail with `kind`. */
  failNext(kind: FaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.queue.push(kind);
  }

  /** Holds the next API request that `which` picks unanswered until `release()`, so a test can act while a fetch is in flight. */
  holdNext(which: RequestFilter = () => true): HeldRequest {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { which, arrive, released };
    return { arrived, release };
  }

  /** Waits while `request` is the one `holdNext` asked for. */
  async passHold(request: Parameters<RequestFilter>[0]): Promise<void> {
    const hold = this.hold;
    if (!hold || !hold.which(request)) return;
    this.hold = undefined;
    hold.arrive();
    await hold.released;
  }

  setRandom(faults: RandomFaults | undefined): void {
    this.random = faults;
    this.roll = seededRandom(faults?.seed ?? 1);
    if (faults?.latencyMs !== undefined) this.latencyMs = faults.latencyMs;
  }

  clear(): void {
    this.queue = [];
    this.random = undefined;
    this.paging = 'none';
    this.hold = undefined;
  }

  next(): FaultKind | undefined {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (!this.random || this.random.kinds.length === 0 || this.roll() >= this.random.rate) return undefined;
    return this.random.kinds[Math.floor(this.roll() * this.random.kinds.length)];
  }
}
