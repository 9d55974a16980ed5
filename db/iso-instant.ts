const HOUR_MS = 3_600_000;
/** 9999-12-31T23:59:59.999Z: past it, toISOString writes a six-digit year. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;
/** Hours whose text is kept: a page's sessions start and end in a few. */
const KEPT_HOURS = 64;

const hourTexts = new Map<number, string>();

/**
 * An instant in Unix ms as the text `Date.prototype.toISOString` writes
 * (`2026-10-01T13:05:09.042Z`), for a fraction of its cost: the text up to
 * the hour is kept for the last hours asked, and the rest is arithmetic.
 * toISOString was a quarter of a FullSession page's COPY text (two times a
 * session); Postgres reads both the same.
 *
 * @example isoInstant(Date.UTC(2026, 9, 1, 13, 5, 9, 42)) // '2026-10-01T13:05:09.042Z'
 */
export function isoInstant(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString();
  const hour = Math.floor(ms / HOUR_MS);
  const inHour = ms - hour * HOUR_MS;
  const minutes = Math.floor(inHour / 60_000);
  const seconds = Math.floor(inHour / 1000) % 60;
  const millis = inHour % 1000;
  return `${hourText(hour)}${minutes < 10 ? '0' : ''}${minutes}:${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** `YYYY-MM-DDTHH:` of an hour since the epoch. */
function hourText(hour: number): string {
  let text = hourTexts.get(hour);
  if (text === undefined) {
    if (hourTexts.size >= KEPT_HOURS) hourTexts.clear();
    text = new Date(hour * HOUR_MS).toISOString().slice(0, 14);
    hourTexts.set(hour, text);
  }
  return text;
}
