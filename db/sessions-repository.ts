import { sql, type Kysely, type Transaction } from 'kysely';
import type { FullSessionRecord } from '../sources/fullsession/session-record.js';
import type { Database, NewSessionRow } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Inserts new sessions and rewrites existing ones only when their payload
 * changed, so re-fetching a page costs no writes. Returns how many rows were
 * inserted or changed. Records must have distinct session ids.
 *
 * @example await upsertSessions(trx, 'cust', 'site', records)
 */
export async function upsertSessions(db: Db, customerId: string, siteId: string, records: FullSessionRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const result = await db
    .insertInto('fullsession_sessions')
    .values(records.map((record) => toRow(customerId, siteId, record)))
    .onConflict((oc) =>
      oc
        .columns(['customer_id', 'site_id', 'session_id'])
        .doUpdateSet((eb) => ({
          ...Object.fromEntries(UPDATED_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)])),
          last_synced_at: sql<Date>`now()`,
        }))
        .where(sql<boolean>`fullsession_sessions.payload is distinct from excluded.payload`),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

const UPDATED_COLUMNS = [
  'user_id', 'start_time', 'end_time', 'duration_ms', 'active_time_ms', 'country', 'country_code', 'city', 'os',
  'browser', 'browser_full_version', 'device', 'referrer', 'landing_page', 'exit_page', 'page_count', 'payload',
] as const;

function toRow(customerId: string, siteId: string, record: FullSessionRecord): NewSessionRow {
  return {
    customer_id: customerId,
    site_id: siteId,
    session_id: record.sessionId,
    user_id: record.userId,
    start_time: new Date(record.startTime),
    end_time: new Date(record.endTime),
    duration_ms: record.durationMs,
    active_time_ms: record.activeTimeMs,
    country: record.country,
    country_code: record.countryCode,
    city: record.city,
    os: record.os,
    browser: record.browser,
    browser_full_version: record.browserFullVersion,
    device: record.device,
    referrer: record.referrer,
    landing_page: record.landingPage,
    exit_page: record.exitPage,
    page_count: record.pageCount,
    payload: JSON.stringify(record.payload),
  };
}
