import type { PartitionSpan } from '../db/partition-spans.js';
/**
 * What session-sync syncs: sites of a source, each bound to a named
 * credential, with its schedule and sync settings. Built from the config file
 * (SESSION_SYNC_CONFIG) or, for a single account, from environment variables.
 * Holds where secrets come from, never a secret.
 */


/** Where a credential's key is read from: an environment variable or a file. */
export type SecretSource = { env: string } | { file: string };

export interface CredentialConfig {
  name: string;
  description: string;
  /** One of a source's credential kinds (sources/source-definitions.ts). */
  kind: string;
  source: SecretSource;
}

export interface ScheduleConfig {
  /** Standard five-field cron expression, read in `timezone`. */
  cron: string;
  timezone: string;
  jitterMs: number;
  /** How late a missed run (server down, schedule paused) may still start. */
  catchupWindowMs: number;
  /** A run still going after this is ended (Temporal's workflow execution timeout), so a hung run cannot hold the schedule. */
  runTimeoutMs: number;
}

export interface SiteSyncSettings {
  windowMs: number;
  /**
   * A backfill's windows (`--window` overrides), counted from its `--from`:
   * a window's query reaches back `maxSessionDurationMs`, so each window
   * costs that many hours of sessions read twice, and one window per range
   * reads the fewest.
   */
  backfillWindowMs: number;
  maxSessionDurationMs: number;
  /** Scheduled runs stop this long before their nominal time: data lands late. */
  settleDelayMs: number;
  /** Where the first scheduled run starts when no watermark exists yet. */
  initialLookbackMs: number;
  /**
   * Where a source sweeps daily (sweepReachBackMs > 0), how far each
   * scheduled run's windows reach back instead of maxSessionDurationMs:
   * sessions that lasted longer wait for the day's sweep.
   */
  freshReachBackMs: number;
  /** The daily sweep's reach-back: sessions up to this long are never lost; 0: no sweep. */
  sweepReachBackMs: number;
  /** How much before the watermark each scheduled run fetches again, for data that lands or changes late; 0: none. */
  refreshTrailingMs: number;
  /** How much time one partition of the site's synced table holds. */
  partitionSpan: PartitionSpan;
  /** How long the copy keeps the site's records (its partitions past it are dropped); null: for ever. */
  retentionMs: number | null;
  /** Retention detaches the partitions past it instead of dropping them. */
  retentionDetachOnly: boolean;
}

export interface SiteConfig {
  /** The source that reads the site (sources/source-registry.ts). */
  source: string;
  customerId: string;
  siteId: string;
  credentialName: string;
  /** The account's request budget, shared by all its sites and workers. */
  ratePerMinute: number;
  schedule: ScheduleConfig;
  sync: SiteSyncSettings;
  /** The watermark's age past which the site is late, and stale; null: derived from the schedule (read-model/freshness.ts). */
  freshness: { warnAfterMs: number; errorAfterMs: number } | null;
}

export interface SitesConfig {
  /** The file the sites came from, or null for environment variables. */
  source: string | null;
  credentials: CredentialConfig[];
  sites: SiteConfig[];
}

/** Describes a secret's origin for operators, e.g. `env ACME_TOKEN`. */
export function describeSecretSource(source: SecretSource): string {
  return 'env' in source ? `env ${source.env}` : `file ${source.file}`;
}
