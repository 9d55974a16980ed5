/**
 * One FullSession session as we store it: the typed columns we extract and
 * the object exactly as received (unknown fields included) as `payload`.
 */
export interface FullSessionRecord {
  sessionId: string;
  userId: string | null;
  startTime: number;
  endTime: number;
  durationMs: number | null;
  activeTimeMs: number | null;
  country: string | null;
  countryCode: string | null;
  city: string | null;
  os: string | null;
  browser: string | null;
  browserFullVersion: string | null;
  device: string | null;
  referrer: string | null;
  landingPage: string | null;
  exitPage: string | null;
  pageCount: number | null;
  payload: Record<string, unknown>;
}

/** A record the API sent that cannot be stored, with the reason and the raw value. */
export interface RejectedRecord {
  sessionId: string | null;
  reason: string;
  raw: unknown;
}

export type ParsedRecord = { ok: true; record: FullSessionRecord } | { ok: false; reject: RejectedRecord };

/**
 * Turns one raw session into a record, or a reject when it has no usable id or
 * times. Accepts the documented spellings: `uuid` or `id`; `startTime` or
 * `timestamp`; times as Unix ms (number or digits) or ISO-8601 strings; an
 * end time derived from `duration` when `endTime` is absent.
 *
 * @example parseSessionRecord({ uuid: 'a', startTime: 1, endTime: 2 })
 */
export function parseSessionRecord(raw: unknown): ParsedRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject(null, 'session is not a JSON object', raw);
  }
  const fields = raw as Record<string, unknown>;
  const sessionId = text(fields.uuid) ?? text(fields.id);
  if (sessionId === null) return reject(null, 'session has no uuid or id', raw);
  const startTime = instant(fields.startTime ?? fields.timestamp);
  if (startTime === null) return reject(sessionId, 'session has no parseable startTime or timestamp', raw);
  const durationMs = milliseconds(fields.duration);
  const endTime = instant(fields.endTime) ?? (durationMs === null ? null : startTime + durationMs);
  if (endTime === null) return reject(sessionId, 'session has no parseable endTime or duration', raw);
  if (endTime < startTime) return reject(sessionId, 'session ends before it starts', raw);
  return {
    ok: true,
    record: {
      sessionId,
      userId: text(fields.userId) ?? text(fields.user),
      startTime,
      endTime,
      durationMs,
      activeTimeMs: milliseconds(fields.activeTime),
      country: text(fields.country),
      countryCode: text(fields.countryCode),
      city: text(fields.city),
      os: text(fields.os),
      browser: text(fields.browser),
      browserFullVersion: text(fields.browserFullVersion),
      device: text(fields.device),
      referrer: text(fields.referrer),
      landingPage: text(fields.landingPage),
      exitPage: text(fields.exitPage),
      pageCount: Array.isArray(fields.pages) ? fields.pages.length : null,
      payload: fields,
    },
  };
}

function reject(sessionId: string | null, reason: string, raw: unknown): ParsedRecord {
  return { ok: false, reject: { sessionId, reason, raw } };
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function milliseconds(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

// Unix ms as number or digits, or an ISO-8601 string. Anything before 2000 or
// unparseable is treated as absent: seconds sent by mistake would otherwise
// land as 1970 dates.
const YEAR_2000_MS = 946_684_800_000;

function instant(value: unknown): number | null {
  const asNumber = milliseconds(value);
  if (asNumber !== null) return asNumber >= YEAR_2000_MS ? asNumber : null;
  if (typeof value !== 'string') return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) || parsed < YEAR_2000_MS ? null : parsed;
}
