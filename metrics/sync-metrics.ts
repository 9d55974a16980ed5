import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The product's own Prometheus metrics, on a registry of their own (the
 * worker's /metrics adds Temporal's runtime metrics to them). Labels are
 * the stream's identity (source, account, site); never a credential.
 */
export class SyncMetrics {
  readonly registry = new Registry();

  readonly apiRequests = new Counter({
    name: 'session_sync_api_requests_total',
    help: 'API requests by outcome: the HTTP status, or the reason (timeout, network, malformed) when there was none',
    labelNames: ['source', 'account', 'site', 'status'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'session_sync_rate_limited_total',
    help: '429 answers; each pauses every request of the account for Retry-After',
    labelNames: ['source', 'account'] as const,
    registers: [this.registry],
  });

  readonly rateBudgetWaitSeconds = new Counter({
    name: 'session_sync_rate_budget_wait_seconds_total',
    help: 'Time requests waited for a slot of the account budget (this process)',
    labelNames: ['source', 'account'] as const,
    registers: [this.registry],
  });

  readonly pages = new Counter({
    name: 'session_sync_pages_total',
    help: 'Pages committed (sessions, rejects and cursor in one transaction)',
    labelNames: ['source', 'account', 'site'] as const,
    registers: [this.registry],
  });

  readonly sessionsUpserted = new Counter({
    name: 'session_sync_sessions_upserted_total',
    help: 'Sessions inserted or changed (re-synced unchanged sessions are not counted)',
    labelNames: ['source', 'account', 'site'] as const,
    registers: [this.registry],
  });

  readonly sessionsSynced = new Counter({
    name: 'session_sync_sessions_synced_total',
    help: 'Sessions received and owned by their window, changed or not',
    labelNames: ['source', 'account', 'site'] as const,
    registers: [this.registry],
  });

  readonly rejects = new Counter({
    name: 'session_sync_rejects_total',
    help: "Invalid records stored in the source's rejects table instead of its table",
    labelNames: ['source', 'account', 'site'] as const,
    registers: [this.registry],
  });

  readonly suppressed = new Counter({
    name: 'session_sync_suppressed_total',
    help: 'Records dropped because they carry the identity of a person `session-sync forget` erased (never stored)',
    labelNames: ['source', 'account', 'site'] as const,
    registers: [this.registry],
  });

  readonly pagePhaseSeconds = new Histogram({
    name: 'session_sync_page_phase_seconds',
    help: "Where a page's time goes: fetch (rate budget wait, HTTP, parse, validate and de-duplicate), write (the transaction)",
    labelNames: ['phase'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'session_sync_' });
  }

  /**
   * A gauge computed at scrape time, e.g. per-site freshness read from
   * Postgres. `read` returns one value per label set; a failing read leaves
   * the gauge empty.
   */
  addScrapeGauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Array<ScrapedValue<L>>>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read().catch(() => [])) this.set(labels, value);
      },
    });
  }

  /**
   * A counter whose total lives elsewhere (Temporal's ScheduleInfo counts a
   * schedule's skipped runs), read at scrape time: every worker reports the
   * same total, a restarted one at once.
   */
  addScrapeCounter<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Array<ScrapedValue<L>>>): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read().catch(() => [])) this.inc(labels, value);
      },
    });
  }
}

/** One value of a metric read at scrape time, with its labels. */
export interface ScrapedValue<L extends string> {
  labels: Record<L, string>;
  value: number;
}
