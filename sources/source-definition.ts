import type { z } from 'zod';

/**
 * A vendor's facts as data, in one place per vendor (as Nango keeps its
 * providers): what its credentials are called, how their keys are shown,
 * which variables may hold them, and its settings with the schema that
 * validates them. Configuration and logging read these; nothing else in
 * config/ names a vendor.
 */
export interface SourceDefinition<Settings = unknown> {
  /** The source's name in the config file (`accounts.X.source`), keys, ids and metrics. */
  readonly name: string;
  /** What a stream's records are called where operators read counts (progress, `status`), e.g. `events`. */
  recordNoun(stream: string): string;
  /** The streams (sites, in the config file) an account may have, where the vendor fixes them; absent when any name goes. */
  readonly streams?: readonly string[];
  /** The `kind`s a credential of this source may have in the config file. */
  readonly credentialKinds: readonly string[];
  /** How one of its keys is shown: enough to match it with the vendor's own list, never enough to use it. */
  obfuscateKey(key: string): string;
  /** Environment variables that may hold its keys: censored wherever a logged object names them. */
  readonly secretVariables: readonly string[];
  /** Its settings, read from the environment and validated by its own schema. */
  readonly settings: z.ZodType<Settings>;
  /** The environment variables `settings` reads, for deployment checks. */
  readonly settingsVariables: readonly string[];
  /**
   * A backfill's window by default (`sync.backfillWindow`), where the vendor's
   * queries may span more than a scheduled run's window; absent: the site's `window`.
   */
  readonly defaultBackfillWindow?: string;
  /**
   * The daily sweep's reach-back by default (`sync.sweepReachBack`), for a
   * source whose queries reach back for sessions that started earlier;
   * absent: no sweep (scheduled runs reach back maxSessionDuration).
   */
  readonly defaultSweepReachBack?: string;
  /**
   * When a synced window proves its range complete (read-model/coverage-states.ts):
   * `reachBack`, only when its query reached back at least the site's
   * maxSessionDuration (records keyed by when they ended, queried by when
   * they started); `settlesWithin`, only once synced that long after the
   * range (the vendor's data of an instant changes until then).
   */
  readonly completeness: { reachBack: boolean; settlesWithin?: string };
  /** How much before the watermark scheduled runs fetch again by default (`sync.refreshTrailing`), for data that settles late. */
  readonly defaultRefreshTrailing: string;
}
