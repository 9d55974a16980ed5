const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads an instant strictly: an ISO-8601 date (midnight UTC) or a date-time
 * with its zone (`Z` or `±hh:mm`). Returns undefined for anything else,
 * including dates the calendar does not have: JavaScript's Date.parse turns
 * `2026-02-30` into March 2nd and `1` into the year 2001.
 *
 * @example parseIsoInstant('2026-03-01') // Date.UTC(2026, 2, 1)
 * @example parseIsoInstant('2026-02-30') // undefined
 */
export function parseIsoInstant(text: string): number | undefined {
  const date = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!date) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = date.slice(1, 7).map((part) => Number(part ?? 0));
  const ms = Number((date[7] ?? '0').padEnd(3, '0'));
  const local = Date.UTC(year!, month! - 1, day!, hour, minute, second, ms);
  const fields = new Date(local);
  const exists =
    fields.getUTCFullYear() === year && fields.getUTCMonth() === month! - 1 && fields.getUTCDate() === day && fields.getUTCHours() === hour && fields.getUTCMinutes() === minute && fields.getUTCSeconds() === second;
  const instant = local - zoneOffsetMs(date[8]);
  return exists && !Number.isNaN(instant) ? instant : undefined;
}

/** The zone's offset from UTC; NaN for one no place has (beyond ±14:00), which fails the caller's result. */
function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hours, minutes] = zone.slice(1).split(':').map(Number);
  if (hours! > 14 || minutes! > 59) return Number.NaN;
  return sign * (hours! * 60 + minutes!) * 60_000;
}
