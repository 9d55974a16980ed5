import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 4h or 1d, got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

const url = (what: string) =>
  z.string({ error: 'is required' }).refine((text) => URL.canParse(text), { message: `must be a ${what} URL` });

const positiveInteger = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').default(fallback);

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** Environment variables by section; each command validates the sections it needs. */
export const envSections = {
  database: z.object({
    DATABASE_URL: url('postgres://'),
  }),
  temporal: z.object({
    TEMPORAL_ADDRESS: required,
    TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('session-sync'),
  }),
  fullsession: z.object({
    FULLSESSION_API_URL: url('http(s)').default('https://app.fullsession.io'),
    FULLSESSION_CUSTOMER_ID: required,
    FULLSESSION_SITE_IDS: required.transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean)),
    FULLSESSION_RATE_LIMIT_PER_MINUTE: positiveInteger(20),
    FULLSESSION_REQUEST_TIMEOUT: duration('30s'),
  }),
  sync: z.object({
    SYNC_WINDOW: duration('1d'),
    SYNC_MAX_SESSION_DURATION: duration('4h'),
  }),
  worker: z.object({
    WORKER_SHUTDOWN_GRACE: duration('30s'),
    WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInteger(8),
    WORKFLOW_BUNDLE_PATH: z.string().trim().min(1).optional(),
  }),
  logging: z.object({
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: z.enum(['true', 'false', 'auto']).default('auto'),
  }),
};

export type EnvSection = keyof typeof envSections;
