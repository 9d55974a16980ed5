/**
 * Built-in defaults, shared by the config file and the environment variables
 * so both ways of configuring a site behave the same.
 */
export const SCHEDULE_DEFAULTS = {
  cron: '*/15 * * * *',
  timezone: 'UTC',
  jitter: '1m',
  catchupWindow: '1h',
  /** A scheduled run still going after this is ended, and the next (buffered) run takes over from the watermark. */
  runTimeout: '1h',
} as const;

export const SYNC_DEFAULTS = {
  window: '1d',
  maxSessionDuration: '4h',
  /** Session analytics data lands late; FullStory documents about 30 minutes. */
  settleDelay: '30m',
  initialLookback: '1d',
  /** Scheduled runs' reach-back where a daily sweep reaches back further (sources with a sweep). */
  freshReachBack: '30m',
} as const;

export const DEFAULT_RATE_PER_MINUTE = 20;
