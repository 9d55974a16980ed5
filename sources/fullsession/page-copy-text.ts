import { copyLine } from '../../db/copy-text.js';
import type { NewSessionRow } from './fullsession-tables.js';
import type { FullSessionRecord } from './session-record.js';

/** The columns a page sets, with their Postgres types (the staging table's). */
export const PAGE_COLUMN_TYPES = {
  session_id: 'text',
  user_id: 'text',
  start_time: 'timestamptz',
  end_time: 'timestamptz',
  duration_ms: 'bigint',
  active_time_ms: 'bigint',
  country: 'text',
  country_code: 'text',
  city: 'text',
  os: 'text',
  browser: 'text',
  browser_full_version: 'text',
  device: 'text',
  referrer: 'text',
  landing_page: 'text',
  exit_page: 'text',
  page_count: 'integer',
  payload: 'jsonb',
  payload_original: 'text',
} as const satisfies Partial<Record<keyof NewSessionRow, string>>;

export type PageColumn = keyof typeof PAGE_COLUMN_TYPES;
export const PAGE_COLUMNS = Object.keys(PAGE_COLUMN_TYPES) as PageColumn[];

/** Lines of COPY text per piece handed to the connection. */
const LINES_PER_PIECE = 100;

/**
 * The records as COPY text of PAGE_COLUMNS, after `leading` fields that
 * every line starts with, a hundred lines at a time as the connection
 * takes them: a page's text is never whole in memory.
 */
export function* pageCopyText(records: FullSessionRecord[], leading: string[] = []): Generator<string> {
  for (let start = 0; start < records.length; start += LINES_PER_PIECE) {
    yield records
      .slice(start, start + LINES_PER_PIECE)
      .map((record) => copyRow(record, leading))
      .join('');
  }
}

/** A record as a line of COPY text, its fields in PAGE_COLUMNS' order after `leading`. */
function copyRow(record: FullSessionRecord, leading: string[]): string {
  return copyLine([
    ...leading,
    record.sessionId,
    record.userId,
    new Date(record.startTime).toISOString(),
    new Date(record.endTime).toISOString(),
    numberText(record.durationMs),
    numberText(record.activeTimeMs),
    record.country,
    record.countryCode,
    record.city,
    record.os,
    record.browser,
    record.browserFullVersion,
    record.device,
    record.referrer,
    record.landingPage,
    record.exitPage,
    numberText(record.pageCount),
    JSON.stringify(record.payload),
    record.payloadOriginal,
  ]);
}

function numberText(value: number | null): string | null {
  return value === null ? null : String(value);
}
