import { z } from 'zod';
import { cronExpression, durationText, identifier, timeZone, urlWith } from './config-values.js';
import { SCHEDULE_DEFAULTS, SYNC_DEFAULTS } from './defaults.js';
import { fullSessionDefinition } from '../sources/fullsession/fullsession-definition.js';

const duration = (fallback: string, options: { allowZero?: boolean } = {}) => z.string().default(fallback).pipe(durationText(options));

const positiveInteger = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').default(fallback);

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** Environment variables by section; each command validates the sections it needs. Each source's own are in its definition (sources/<vendor>/*-definition.ts). */
export const envSections = {
  database: z.object({
    DATABASE_URL: urlWith('postgres://', ['postgres:', 'postgresql:']),
  }),
  /** Temporal's own settings (TEMPORAL_ADDRESS, TLS, API key, temporal.toml) are read by temporal/temporal-settings.ts. */
  temporal: z.object({
    // Set by the Temporal Worker Controller for each version it rolls out: the worker polls as that version.
    TEMPORAL_DEPLOYMENT_NAME: z.string().trim().min(1).optional(),
    TEMPORAL_WORKER_BUILD_ID: z.string().trim().min(1).optional(),
    TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('session-sync'),
  }),
  /** One account's sites from the environment, when there is no config file. */
  singleAccount: z.object({
    // Ids are judged exactly as in the config file: they end up in workflow and schedule ids.
    FULLSESSION_CUSTOMER_ID: required.pipe(identifier),
    FULLSESSION_SITE_IDS: required.transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean)).pipe(z.array(identifier)),
    SYNC_SCHEDULE_CRON: cronExpression.default(SCHEDULE_DEFAULTS.cron),
    SYNC_SCHEDULE_TIMEZONE: timeZone.default(SCHEDULE_DEFAULTS.timezone),
    SYNC_SCHEDULE_JITTER: duration(SCHEDULE_DEFAULTS.jitter, { allowZero: true }),
    SYNC_CATCHUP_WINDOW: duration(SCHEDULE_DEFAULTS.catchupWindow),
    SYNC_RUN_TIMEOUT: duration(SCHEDULE_DEFAULTS.runTimeout),
    SYNC_WINDOW: duration(SYNC_DEFAULTS.window),
    SYNC_BACKFILL_WINDOW: duration(fullSessionDefinition.defaultBackfillWindow),
    SYNC_MAX_SESSION_DURATION: duration(SYNC_DEFAULTS.maxSessionDuration),
    SYNC_SETTLE_DELAY: duration(SYNC_DEFAULTS.settleDelay, { allowZero: true }),
    SYNC_INITIAL_LOOKBACK: duration(SYNC_DEFAULTS.initialLookback),
    SYNC_FRESH_REACH_BACK: duration(SYNC_DEFAULTS.freshReachBack),
    SYNC_SWEEP_REACH_BACK: duration(fullSessionDefinition.defaultSweepReachBack, { allowZero: true }),
  }),
  worker: z.object({
    WORKER_SHUTDOWN_GRACE: duration('30s'),
    WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInteger(8),
    WORKER_STICKY_QUEUE_TIMEOUT: duration('10s'),
    WORKER_ABANDONED_RUN_CHECK: duration('5m'),
    WORKER_WORKFLOW_THREAD: z.enum(['main', 'own'], { error: 'must be "main" or "own"' }).default('main'),
    METRICS_PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 (off) or a port').max(65534, 'must leave room for Temporal on the next port').default(9464),
    // Only this machine by default: /status names customers, sites and failures. Containers set 0.0.0.0.
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    METRICS_ALLOWED_HOSTS: z.string().default('').transform((text) => text.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean)),
    WORKFLOW_BUNDLE_PATH: z.string().trim().min(1).optional(),
  }),
  logging: z.object({
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: z.enum(['true', 'false', 'auto']).default('auto'),
  }),
};

