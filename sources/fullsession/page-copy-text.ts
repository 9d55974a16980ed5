import { copyField } from '../../db/copy-text.js';
import { isoInstant } from '../../db/iso-instant.js';
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
  const prefix = leading.map((field) => `${copyField(field)}\t`).join('');
  for (let start = 0; start < records.length; start += LINES_PER_PIECE) {
    let piece = '';
    for (const record of records.slice(start, start + LINES_PER_PIECE)) piece += prefix + copyRow(record);
    yield piece;
  }
}

/**
 * A record as a line of COPY text, its fields in PAGE_COLUMNS' order.
 * Written out rather than joined from an array of fields: it runs for
 * every session, and the array was garbage for each.
 */
function copyRow(record: FullSessionRecord): string {
  return (
    `${copyField(record.sessionId)}\t${copyField(record.userId)}\t${isoInstant(record.startTime)}\t${isoInstant(record.endTime)}\t` +
    `${numberField(record.durationMs)}\t${numberField(record.activeTimeMs)}\t${copyField(record.country)}\t${copyField(record.countryCode)}\t` +
    `${copyField(record.city)}\t${copyField(record.os)}\t${copyField(record.browser)}\t${copyField(record.browserFullVersion)}\t` +
    `${copyField(record.device)}\t${copyField(record.referrer)}\t${copyField(record.landingPage)}\t${copyField(record.exitPage)}\t` +
    `${numberField(record.pageCount)}\t${copyField(JSON.stringify(record.payload))}\t${copyField(record.payloadOriginal)}\n`
  );
}

function numberField(value: number | null): string {
  return value === null ? '\\N' : String(value);
}
