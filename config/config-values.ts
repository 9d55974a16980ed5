import { Cron } from 'croner';
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

/** A URL with one of `protocols` (e.g. 'http:'), so a `file://` API URL fails at start-up. */
export function urlWith(what: string, protocols: readonly string[]) {
  return z.string({ error: 'is required' }).refine((text) => URL.canParse(text) && protocols.includes(new URL(text).protocol), { message: `must be a ${what} URL` });
}

/** An API's base URL. */
export const httpUrl = urlWith('http(s)', ['http:', 'https:']);

/** A size in bytes such as 16MiB or 500kB, at least 1 KiB. */
export const byteSize = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < 1_024) {
    ctx.addIssue({ code: 'custom', message: `expected a size of at least 1KiB like 16MiB or 500kB, got "${text}"` });
    return z.NEVER;
  }
  return bytes;
});

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

/**
 * The name of an environment variable that holds a key, never the key
 * itself: a value shaped like a FullSession key (or too random to be a
 * name) is refused without being quoted, since the error is printed.
 */
export const secretVariableName = z
  .string()
  .trim()
  .min(1)
  .superRefine((name, ctx) => {
    if (looksLikeKey(name)) ctx.addIssue({ code: 'custom', message: 'looks like an API key, not the name of an environment variable: put the key in a variable or a file and name that here (the value is not repeated here)' });
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) ctx.addIssue({ code: 'custom', message: 'must be an environment variable name: letters, digits and "_", not starting with a digit' });
  });

/** A path to a file that holds a key; a key pasted in its place is refused without being quoted. */
export const secretFilePath = z
  .string()
  .trim()
  .min(1)
  .refine((path) => path.includes('/') || !looksLikeKey(path), { message: 'looks like an API key, not a path: put the key in a file and name that file here (the value is not repeated here)' });

/** A FullSession token (`fus_…`), a FullStory key (`na1.…`), or a long run of mixed letters and digits without the words of a name. */
function looksLikeKey(text: string): boolean {
  if (/^fus_[A-Za-z0-9]{8,}/i.test(text) || /^(na1|eu1)\./.test(text)) return true;
  return text.length >= 24 && /[a-z]/.test(text) && /[0-9]/.test(text) && !/[_./-]/.test(text);
}

/** Identifiers that end up in workflow ids and schedule ids. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must start with a letter or digit and use only letters, digits, ".", "_" and "-"');

/**
 * Five-field cron (minute hour day-of-month month day-of-week) or an
 * @-shorthand, as Temporal accepts, checked by a real cron parser (croner):
 * values out of range and schedules that never fire are refused here, at
 * start-up, not by `schedule apply` halfway through the sites.
 */
export const cronExpression = z.string().superRefine((text, ctx) => {
  const problem = cronProblem(text.trim());
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

function cronProblem(expression: string): string | null {
  if (/^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(expression)) return null;
  const every = /^@every (\S+)$/.exec(expression);
  if (every) return parseDuration(every[1]!) ? null : `"@every" needs a duration like 15m, got "${every[1]}"`;
  if (expression.split(/\s+/).length !== 5) return 'must be a five-field cron expression such as "*/15 * * * *"';
  try {
    if (new Cron(expression, { paused: true }).nextRun() === null) return `"${expression}" never fires`;
  } catch (error) {
    return `"${expression}" is not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return null;
}
