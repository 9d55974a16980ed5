import { z } from 'zod';
import { byteSize, durationText, httpUrl } from '../../config/config-values.js';
import { DEFAULT_RATE_PER_MINUTE } from '../../config/defaults.js';
import { obfuscateKey } from '../../config/secret.js';
import type { SourceDefinition } from '../source-definition.js';

/** FullSession's settings, from FULLSESSION_* variables. */
export interface FullSessionSettings {
  apiUrl: string;
  requestTimeoutMs: number;
  /** Larger response bodies (decompressed) are refused as malformed pages. */
  maxResponseBytes: number;
  /** An account's requests per minute unless the config file sets its own (FullSession allows 20). */
  ratePerMinute: number;
}

const variables = z.object({
  FULLSESSION_API_URL: httpUrl.default('https://app.fullsession.io'),
  FULLSESSION_RATE_LIMIT_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').default(DEFAULT_RATE_PER_MINUTE),
  FULLSESSION_REQUEST_TIMEOUT: z.string().default('30s').pipe(durationText()),
  FULLSESSION_MAX_RESPONSE_SIZE: z.string().default('16MiB').pipe(byteSize),
});

const settings = variables.transform(
  (env): FullSessionSettings => ({
    apiUrl: env.FULLSESSION_API_URL,
    requestTimeoutMs: env.FULLSESSION_REQUEST_TIMEOUT,
    maxResponseBytes: env.FULLSESSION_MAX_RESPONSE_SIZE,
    ratePerMinute: env.FULLSESSION_RATE_LIMIT_PER_MINUTE,
  }),
);

/**
 * FullSession's facts. Its API tokens (`fus_…`) are shown as FullSession's
 * own UI shows them: the prefix and the last three characters.
 */
export const fullSessionDefinition = {
  name: 'fullsession',
  recordNoun: () => 'sessions',
  credentialKinds: ['fullsession-api-token'],
  obfuscateKey,
  secretVariables: ['FULLSESSION_API_TOKEN'],
  settings,
  settingsVariables: Object.keys(variables.shape),
  // Its queries may span any range: one window per 90 days reads a 30-day
  // backfill's sessions once, plus one reach-back (docs/windowing.md).
  defaultBackfillWindow: '90d',
  // Scheduled runs reach back 30 minutes; the day's sweep finds what ran
  // longer, up to a day (docs/operating.md, Scheduled runs).
  defaultSweepReachBack: '24h',
  // Sessions appear once they end and do not change: windows' lookback finds them.
  defaultRefreshTrailing: '0s',
  // Sessions are keyed by when they ended and queried by when they started: a window is complete when it reached back over the longest session.
  completeness: { reachBack: true },
} as const satisfies SourceDefinition<FullSessionSettings>;
