import type { z } from 'zod';
import type { envSections } from './env-schema.js';
import type { CredentialConfig, SitesConfig } from './site-config.js';
import { DEFAULT_PARTITION_SPAN } from '../db/partition-spans.js';

type Env = Record<string, string | undefined>;

/** The credential the single-account environment variables describe. */
export const ENV_CREDENTIAL_NAME = 'FULLSESSION_API_TOKEN';

/**
 * The sites of one account described by FULLSESSION_* and SYNC_* variables:
 * the same model as the config file, with one credential read from
 * FULLSESSION_API_TOKEN or FULLSESSION_API_TOKEN_FILE.
 */
export function sitesFromEnv(
  env: Env,
  account: z.output<typeof envSections.singleAccount>,
  ratePerMinute: number,
  problems: string[],
): SitesConfig {
  const credential: CredentialConfig = {
    name: ENV_CREDENTIAL_NAME,
    description: 'from FULLSESSION_API_TOKEN / FULLSESSION_API_TOKEN_FILE',
    kind: 'fullsession-api-token',
    source: env.FULLSESSION_API_TOKEN_FILE?.trim() ? { file: env.FULLSESSION_API_TOKEN_FILE.trim() } : { env: 'FULLSESSION_API_TOKEN' },
  };
  if (env.FULLSESSION_API_TOKEN?.trim() && env.FULLSESSION_API_TOKEN_FILE?.trim()) {
    problems.push('set FULLSESSION_API_TOKEN or FULLSESSION_API_TOKEN_FILE, not both');
  }
  return {
    source: null,
    credentials: [credential],
    sites: account.FULLSESSION_SITE_IDS.map((siteId) => ({
      source: 'fullsession',
      customerId: account.FULLSESSION_CUSTOMER_ID,
      siteId,
      credentialName: ENV_CREDENTIAL_NAME,
      ratePerMinute,
      schedule: {
        cron: account.SYNC_SCHEDULE_CRON,
        timezone: account.SYNC_SCHEDULE_TIMEZONE,
        jitterMs: account.SYNC_SCHEDULE_JITTER,
        catchupWindowMs: account.SYNC_CATCHUP_WINDOW,
        runTimeoutMs: account.SYNC_RUN_TIMEOUT,
      },
      sync: {
        windowMs: account.SYNC_WINDOW,
        backfillWindowMs: account.SYNC_BACKFILL_WINDOW,
        maxSessionDurationMs: account.SYNC_MAX_SESSION_DURATION,
        settleDelayMs: account.SYNC_SETTLE_DELAY,
        initialLookbackMs: account.SYNC_INITIAL_LOOKBACK,
        refreshTrailingMs: 0,
        freshReachBackMs: account.SYNC_FRESH_REACH_BACK,
        sweepReachBackMs: account.SYNC_SWEEP_REACH_BACK,
        partitionSpan: DEFAULT_PARTITION_SPAN,
        retentionMs: null,
        retentionDetachOnly: false,
      },
      // A single account from variables keeps the derived thresholds; the config file can set its own.
      freshness: null,
    })),
  };
}
