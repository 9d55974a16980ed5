import { z } from 'zod';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';

/**
 * Value schemas shared by the environment and the config file, so a duration
 * or a cron expression is judged the same way wherever it is written.
 */

export function durationText(options: { allowZero?: boolean } = {}) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || (ms === 0 && !options.allowZero)) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 4h or 1d, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
}

const CRON_FIELD = /^[\d*,/\-A-Za-z?]+$/;

/** A size in bytes such as 16MiB or 500kB, at least 1 KiB. */
export const byteSize = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < 1_024) {
    ctx.addIssue({ code: 'custom', message: `expected a size of at least 1KiB like 16MiB or 500kB, got "${text}"` });
    return z.NEVER;
  }
  return bytes;
});

/** Five-field cron (minute hour day-of-month month day-of-week) or an @-shorthand, as Temporal accepts. */
export const cronExpression = z.string().refine(
  (text) => {
    const trimmed = text.trim();
    if (/^@(yearly|annually|monthly|weekly|daily|hourly|every \S+)$/.test(trimmed)) return true;
    const fields = trimmed.split(/\s+/);
    return fields.length === 5 && fields.every((field) => CRON_FIELD.test(field));
  },
  { message: 'must be a five-field cron expression such as "*/15 * * * *"' },
);

/** An IANA time zone the runtime knows, e.g. UTC or Europe/Berlin. */
export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as UTC or Europe/Berlin' },
);

/** Identifiers that end up in workflow ids and schedule ids. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must start with a letter or digit and use only letters, digits, ".", "_" and "-"');
