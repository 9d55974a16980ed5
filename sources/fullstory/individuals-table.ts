import { sql, type Kysely, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { MAX_INSTANT_MS } from '../../db/storable-values.js';
import type { UnitWrite } from '../sync-source.js';
import type { LineShape } from './staged-line.js';
import { stageExportFile, type StreamTarget } from './staging-table.js';

/** Typed columns taken in JavaScript, each checked so no cast can fail in SQL; the rest come from `raw`. */
const TYPED: Array<[column: string, type: string, field: string, read: (value: unknown) => string | null]> = [
  ['created', 'timestamptz', 'Created', instant],
  ['num_sessions', 'bigint', 'NumSessions', count],
  ['num_pages', 'bigint', 'NumPages', count],
  ['num_events', 'bigint', 'NumEvents', count],
  ['total_sec', 'double precision', 'TotalSec', seconds],
  ['active_sec', 'double precision', 'ActiveSec', seconds],
  ['last_session_start', 'timestamptz', 'LastSessionStart', instant],
  ['last_event_start', 'timestamptz', 'LastEventStart', instant],
];

/** Text columns, straight from the row (ids exact: Postgres parsed them). */
const TEXT: Array<[column: string, field: string]> = [
  ['uid', 'Uid'],
  ['email', 'Email'],
  ['display_name', 'DisplayName'],
  ['last_page', 'LastPage'],
  ['last_browser', 'LastBrowser'],
  ['last_device', 'LastDevice'],
  ['last_platform', 'LastPlatform'],
  ['last_operating_system', 'LastOperatingSystem'],
];

const INDIVIDUAL_SHAPE: LineShape = {
  columns: TYPED.map(([column, type]) => [column, type]),
  judge(row) {
    const id = row.IndvId;
    if (!((typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && id.length > 0))) return { reason: 'individual has no IndvId' };
    return { values: TYPED.map(([, , field, read]) => read(row[field])) };
  },
};

/**
 * Upserts the individuals an export of a window holds into
 * fullstory_individuals, in the caller's transaction: one row per
 * individual (the last of the file when it repeats one), rewritten only
 * when its exported row changed. Individuals are not tied to a window, so
 * none is deleted: one merged into another by identification keeps its row.
 */
export async function upsertIndividuals(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, lines: AsyncIterable<string[]>): Promise<UnitWrite> {
  const staged = await stageExportFile(trx, copyIn, target, INDIVIDUAL_SHAPE, lines);
  const columns = [...TYPED.map(([column]) => column), ...TEXT.map(([column]) => column)];
  const text = TEXT.map(([, field]) => sql`nullif(s.raw->>${field}, '')`);
  const result = await sql`
    insert into fullstory_individuals (org_id, indv_id, ${sql.join(columns.map((column) => sql.ref(column)))}, raw, raw_original)
    select distinct on (s.raw->>'IndvId') ${target.orgId}, s.raw->>'IndvId', ${sql.join(TYPED.map(([column]) => sql.ref(`s.${column}`)))}, ${sql.join(text)}, s.raw, s.raw_original
    from fullstory_staging s where s.reject_reason is null
    order by s.raw->>'IndvId', s.ctid desc
    on conflict (org_id, indv_id) do update set
      ${sql.join(columns.map((column) => sql`${sql.ref(column)} = excluded.${sql.ref(column)}`))}, raw = excluded.raw, raw_original = excluded.raw_original, updated_at = now()
    where (fullstory_individuals.raw, fullstory_individuals.raw_original) is distinct from (excluded.raw, excluded.raw_original)
  `.execute(trx);
  return { received: staged.received, synced: staged.received - staged.rejectReasons.length, written: Number(result.numAffectedRows ?? 0n), rejectReasons: staged.rejectReasons };
}

/** How many individuals of an org the table holds. */
export async function countIndividuals(db: Kysely<Database>, orgId: string): Promise<number> {
  const row = await db.selectFrom('fullstory_individuals').select(sql<string>`count(*)`.as('count')).where('org_id', '=', orgId).executeTakeFirstOrThrow();
  return Number(row.count);
}

function instant(value: unknown): string | null {
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return at >= 0 && at <= MAX_INSTANT_MS ? new Date(at).toISOString() : null;
}

function count(value: unknown): string | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
}

function seconds(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}
