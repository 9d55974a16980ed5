import { MAX_INSTANT_MS, MAX_JSON_DEPTH, scanJson, storableText, toStorableJson } from '../../db/storable-values.js';

/**
 * One FullSession session as we store it: the typed columns we extract and
 * the object as received (unknown fields included) as `payload`. Every value
 * is one Postgres can store (see db/storable-values.ts): where the API sent a
 * NUL or half a character, `payload` holds U+FFFD there and
 * `payloadOriginal` the exact object as JSON text.
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
  payloadOriginal: string | null;
}

/** A record the API sent that cannot be stored, with the reason and the raw value. */
export interface RejectedRecord {
  sessionId: string | null;
  reason: string;
  raw: unknown;
}

export type ParsedRecord = { ok: true; record: FullSessionRecord } | { ok: false; reject: RejectedRecord };

/** Longer ids are refused: the primary key's btree index holds at most about 2.7 kB a row. */
export const MAX_SESSION_ID_LENGTH = 512;

/**
 * Turns one raw session into a record, or a reject when it has no usable id or
 * times, an id longer than MAX_SESSION_ID_LENGTH, or nesting deeper than
 * MAX_JSON_DEPTH. Accepts the documented spellings: `uuid` or `id`; `startTime` or
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
  if (sessionId.length > MAX_SESSION_ID_LENGTH) return reject(null, `session id is longer than ${MAX_SESSION_ID_LENGTH} characters`, raw);
  const scan = scanJson(fields, MAX_JSON_DEPTH);
  if (scan.tooDeep) return reject(sessionId, `session nests deeper than ${MAX_JSON_DEPTH} levels`, raw);
  const startTime = instant(fields.startTime ?? fields.timestamp);
  if (startTime === null) return reject(sessionId, 'session has no parseable startTime or timestamp', raw);
  const durationMs = milliseconds(fields.duration);
  const endTime = instant(fields.endTime) ?? (durationMs === null || startTime + durationMs > MAX_INSTANT_MS ? null : startTime + durationMs);
  if (endTime === null) return reject(sessionId, 'session has no parseable endTime or duration', raw);
  if (endTime < startTime) return reject(sessionId, 'session ends before it starts', raw);
  const payload = scan.unstorableText ? toStorableJson(fields) : { value: fields, original: null };
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
      payload: payload.value as Record<string, unknown>,
      payloadOriginal: payload.original,
    },
  };
}

function reject(sessionId: string | null, reason: string, raw: unknown): ParsedRecord {
  return { ok: false, reject: { sessionId, reason, raw } };
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? storableText(value) : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** A non-negative whole number of milliseconds a bigint column holds exactly; larger ones are treated as absent. */
function milliseconds(value: unknown): number | null {
  const ms = typeof value === 'number' ? Math.round(value) : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : null;
}

// Unix ms as number or digits, or an ISO-8601 string. Anything before 2000,
// after year 9999 or unparseable is treated as absent: seconds sent by mistake
// would otherwise land as 1970 dates.
const YEAR_2000_MS = 946_684_800_000;

function instant(value: unknown): number | null {
  const asNumber = milliseconds(value);
  const parsed = asNumber ?? (typeof value === 'string' ? Date.parse(value) : Number.NaN);
  return parsed >= YEAR_2000_MS && parsed <= MAX_INSTANT_MS ? parsed : null;
}
