import { z } from 'zod';
import { byteSize, durationText, httpUrl } from '../../config/config-values.js';
import type { SourceDefinition } from '../source-definition.js';
import { obfuscateFullStoryKey } from './fullstory-key.js';

/** FullStory's settings, from FULLSTORY_* variables. */
export interface FullStorySettings {
  apiUrl: string;
  /** Where `eu1.` keys go. */
  euApiUrl: string;
  requestTimeoutMs: number;
  /** Larger API answers are refused (export files are streamed, not capped). */
  maxResponseBytes: number;
  /** An export file's download fails (and is retried) after this long without a byte; no total timeout, so big files finish. */
  downloadIdleTimeoutMs: number;
  /** How long a scheduled poll of a pending export waits (a workflow timer). */
  pollIntervalMs: number;
  /** An org's requests per minute unless the config file sets its own: FullStory publishes no number, so a conservative one. */
  ratePerMinute: number;
}

const variables = z.object({
  FULLSTORY_API_URL: httpUrl.default('https://api.fullstory.com'),
  FULLSTORY_EU_API_URL: httpUrl.default('https://api.eu1.fullstory.com'),
  FULLSTORY_REQUEST_TIMEOUT: z.string().default('30s').pipe(durationText()),
  FULLSTORY_MAX_RESPONSE_SIZE: z.string().default('1MiB').pipe(byteSize),
  FULLSTORY_DOWNLOAD_IDLE_TIMEOUT: z.string().default('60s').pipe(durationText()),
  FULLSTORY_POLL_INTERVAL: z.string().default('5s').pipe(durationText()),
  FULLSTORY_RATE_LIMIT_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').default(30),
});

const settings = variables.transform(
  (env): FullStorySettings => ({
    apiUrl: env.FULLSTORY_API_URL,
    euApiUrl: env.FULLSTORY_EU_API_URL,
    requestTimeoutMs: env.FULLSTORY_REQUEST_TIMEOUT,
    maxResponseBytes: env.FULLSTORY_MAX_RESPONSE_SIZE,
    downloadIdleTimeoutMs: env.FULLSTORY_DOWNLOAD_IDLE_TIMEOUT,
    pollIntervalMs: env.FULLSTORY_POLL_INTERVAL,
    ratePerMinute: env.FULLSTORY_RATE_LIMIT_PER_MINUTE,
  }),
);

/**
 * FullStory's facts. Accounts are org ids (`o-1G1-na1`) and a site is a
 * stream of the org (`events`). Keys are shown by their 7-character suffix,
 * as FullStory's API Keys page shows them.
 */
export const fullStoryDefinition = {
  name: 'fullstory',
  recordNoun: (stream: string) => (stream === 'individuals' ? 'individuals' : 'events'),
  // A segment export of each type: the events, or the individuals (users) seen in a window.
  streams: ['events', 'individuals'],
  credentialKinds: ['fullstory-api-key'],
  obfuscateKey: obfuscateFullStoryKey,
  secretVariables: [],
  settings,
  settingsVariables: Object.keys(variables.shape),
  // No defaultBackfillWindow: a backfill exports a window at a time, as
  // scheduled runs do (a day's export is already hundreds of MB; FullStory's
  // own tools cap an export at 24 hours, apis.md).
  // Most events are exportable about 30 minutes after they happen and settle within about a day.
  defaultRefreshTrailing: '24h',
  // An export keys events by when they happened; an instant's events settle within a day (apis.md).
  completeness: { reachBack: false, settlesWithin: '24h' },
} as const satisfies SourceDefinition<FullStorySettings>;
