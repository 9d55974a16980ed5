import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import { boundedJsonText, MAX_INSTANT_MS, MAX_JSON_DEPTH, scanJson, storableText, toStorableJson } from '../../db/storable-values.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { UnitWrite } from '../sync-source.js';
import { refreshTouchedSessions } from './sessions-table.js';

/** Rows staged per statement: one JSON parameter each, so memory holds one batch, not the file. */
const BATCH_ROWS = 2_000;

export interface EventStream {
  orgId: string;
  stream: string;
}

/**
 * Makes a window's events in fullstory_events exactly the export's, in the
 * caller's transaction, so a reader never sees half a window: rows are
 * staged batch by batch, each keyed by its content's hash and its
 * occurrence among identical rows (numbered in SQL, not in memory); rows no
 * longer exported are deleted and new ones inserted. An unchanged window
 * writes nothing. Rows that cannot be stored go to fullstory_rejects.
 */
export async function replaceWindowEvents(trx: Transaction<Database>, target: EventStream, window: SyncWindow, rows: AsyncIterable<Record<string, unknown>>): Promise<UnitWrite> {
  await sql`create temp table fullstory_staging (event_start timestamptz, row_sha256 text, user_id text, session_id text, page_id text, indv_id text, event_type text, page_url text, user_email text, raw jsonb, raw_original text) on commit drop`.execute(trx);
  let received = 0;
  let batch: StagedRow[] = [];
  const rejectReasons: string[] = [];
  for await (const row of rows) {
    received += 1;
    const prepared = prepareRow(row, window);
    if ('reason' in prepared) {
      rejectReasons.push(prepared.reason);
      await insertReject(trx, target, prepared.reason, row);
    } else batch.push(prepared);
    if (batch.length >= BATCH_ROWS) batch = await stage(trx, batch);
  }
  await stage(trx, batch);
  // The sessions of rows that go or come: only theirs are derived again.
  await sql`create temp table fullstory_touched (user_id text, session_id text) on commit drop`.execute(trx);
  const deleted = await sql`
    with gone as (
      delete from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}
        and not exists (select 1 from (${numbered()}) f where f.event_start = e.event_start and f.row_sha256 = e.row_sha256 and f.occurrence = e.occurrence)
      returning e.user_id, e.session_id
    )
    insert into fullstory_touched select user_id, session_id from gone
  `.execute(trx);
  const inserted = await sql`
    with added as (
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original)
      select ${target.orgId}, ${target.stream}, event_start, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original from (${numbered()}) f
      on conflict do nothing
      returning user_id, session_id
    )
    insert into fullstory_touched select user_id, session_id from added
  `.execute(trx);
  await refreshTouchedSessions(trx, target);
  const synced = received - rejectReasons.length;
  return { received, synced, written: Number(deleted.numAffectedRows ?? 0n) + Number(inserted.numAffectedRows ?? 0n), rejectReasons };
}

/** The staged rows, each numbered among the identical rows of its instant. */
function numbered() {
  return sql`select s.*, row_number() over (partition by s.event_start, s.row_sha256)::integer as occurrence from fullstory_staging s`;
}

interface StagedRow {
  event_start: string;
  row_sha256: string;
  user_id: string | null;
  session_id: string | null;
  page_id: string | null;
  indv_id: string | null;
  event_type: string | null;
  page_url: string | null;
  user_email: string | null;
  raw: unknown;
  raw_original: string | null;
}

async function stage(trx: Transaction<Database>, rows: StagedRow[]): Promise<StagedRow[]> {
  if (rows.length === 0) return rows;
  await sql`
    insert into fullstory_staging
    select * from json_to_recordset(${JSON.stringify(rows)}::json) as r(event_start timestamptz, row_sha256 text, user_id text, session_id text, page_id text, indv_id text, event_type text, page_url text, user_email text, raw jsonb, raw_original text)
  `.execute(trx);
  return [];
}

function prepareRow(row: Record<string, unknown>, window: SyncWindow): StagedRow | { reason: string } {
  const eventStart = typeof row.EventStart === 'string' ? Date.parse(row.EventStart) : Number.NaN;
  if (!(eventStart >= 0 && eventStart <= MAX_INSTANT_MS)) return { reason: 'event has no parseable EventStart' };
  if (eventStart < window.start || eventStart >= window.end) return { reason: 'event starts outside the exported window' };
  if (scanJson(row, MAX_JSON_DEPTH).tooDeep) return { reason: `event nests deeper than ${MAX_JSON_DEPTH} levels` };
  const storable = toStorableJson(row);
  return {
    event_start: new Date(eventStart).toISOString(),
    row_sha256: createHash('sha256').update(canonicalJson(row)).digest('hex'),
    user_id: text(row.UserId),
    session_id: text(row.SessionId),
    page_id: text(row.PageId),
    indv_id: text(row.IndvId),
    event_type: text(row.EventType),
    page_url: text(row.PageUrl),
    user_email: text(row.UserEmail),
    raw: storable.value,
    raw_original: storable.original,
  };
}

/** JSON with object keys sorted, so a re-export that orders fields differently hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? storableText(value) : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

async function insertReject(trx: Transaction<Database>, target: EventStream, reason: string, raw: unknown): Promise<void> {
  const original = boundedJsonText(raw);
  const storable = toStorableJson(JSON.parse(original));
  await trx
    .insertInto('fullstory_rejects')
    .values({ org_id: target.orgId, stream: target.stream, reason, raw: JSON.stringify(storable.value), raw_original: storable.original, raw_sha256: createHash('sha256').update(original).digest('hex') })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** How many events of a stream the table holds. */
export async function countEvents(db: Kysely<Database>, target: EventStream): Promise<number> {
  const row = await db.selectFrom('fullstory_events').select(sql<string>`count(*)`.as('count')).where('org_id', '=', target.orgId).where('stream', '=', target.stream).executeTakeFirstOrThrow();
  return Number(row.count);
}
