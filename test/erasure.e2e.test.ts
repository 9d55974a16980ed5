import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRequest } from '../cli/backfill-request.js';
import type { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { ErasureKey } from '../erasure/erasure-key.js';
import { recordMcpCall } from '../db/mcp-keys-repository.js';
import { applySiteRetention } from '../operations/site-retention.js';
import { checkSuppressionKey, suppressionsFor } from '../erasure/suppression-list.js';
import { runCli, waitFor } from '../devstack/session-sync-process.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startFullStoryStack, type FullStoryStack } from './support/fullstory-stack.js';
import type { OperatorStack } from './support/operator-stack.js';

const ORG = 'o-erase-na1';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 5);
const ERASURE_KEY = randomBytes(32).toString('base64');

type Row = Record<string, unknown>;

/** The sandbox's rows of one person: every row carrying one of the identities, followed to the others they carry. */
function rowsOfPerson(events: Row[], seed: { email?: string; userId?: string }) {
  const emails = new Set(seed.email ? [seed.email] : []);
  const userIds = new Set(seed.userId ? [seed.userId] : []);
  const indvIds = new Set<string>();
  for (let grew = true; grew; ) {
    const before = emails.size + userIds.size + indvIds.size;
    for (const event of events) {
      if (emails.has(String(event.UserEmail)) || userIds.has(String(event.UserId)) || indvIds.has(String(event.IndvId))) {
        emails.add(String(event.UserEmail));
        userIds.add(String(event.UserId));
        indvIds.add(String(event.IndvId));
      }
    }
    grew = emails.size + userIds.size + indvIds.size > before;
  }
  const ofPerson = (row: Row) => emails.has(String(row.UserEmail ?? row.Email)) || userIds.has(String(row.UserId)) || indvIds.has(String(row.IndvId));
  return { emails, userIds, indvIds, ofPerson };
}

describe('session-sync forget: a person erased from the copy, and kept out of it', () => {
  const { log } = capturingLogger('warn');
  let fullStory: FullStoryStack;
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;
  let events: Row[];

  beforeAll(async () => {
    fullStory = await startFullStoryStack({
      orgId: ORG,
      eventsPerHour: 300,
      pendingPolls: 0,
      pollInterval: '50ms',
      sites: '      events: { credential: fs, sync: { window: 1h, settleDelay: 2s } }\n      individuals: { credential: fs, sync: { window: 1h, settleDelay: 2s } }',
      env: { ERASURE_HASH_KEY: ERASURE_KEY },
      log,
    });
    ({ sandbox, stack } = fullStory);
    await backfill('events', false);
    await backfill('individuals', false);
    events = sandbox.events(ORG, T0, T0 + 3 * HOUR);
  });
  afterAll(() => fullStory?.close());

  function backfill(stream: string, force: boolean) {
    const { input } = backfillRequest(stack.config(), { site: `${ORG}/${stream}`, from: new Date(T0).toISOString(), to: new Date(T0 + 3 * HOUR).toISOString(), force });
    return stack.client.workflow.execute(syncRangeWorkflow, { workflowId: `erase-${stream}-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [input] });
  }

  /** Every stored event, session and individual as text, by table. */
  async function copy() {
    const db = stack.database.db;
    const text = async (query: ReturnType<typeof sql<{ t: string }>>) => (await query.execute(db)).rows.map((row) => row.t).sort();
    return {
      events: await text(sql<{ t: string }>`select raw::text || '#' || occurrence as t from fullstory_events where org_id = ${ORG}`),
      sessions: await text(sql<{ t: string }>`select row(s.*)::text as t from (select org_id, stream, user_id, session_id, session_start, session_end, page_count, event_count, entry_url, exit_url, email from fullstory_sessions where org_id = ${ORG}) s`),
      individuals: await text(sql<{ t: string }>`select raw::text as t from fullstory_individuals where org_id = ${ORG}`),
    };
  }

  /** Rows anywhere in the synced tables that carry one of the person's identities. */
  async function traces(person: ReturnType<typeof rowsOfPerson>): Promise<number> {
    const needles = [...person.emails, ...person.userIds, ...person.indvIds];
    const { rows } = await sql<{ n: string }>`
      select (select count(*) from fullstory_events e where exists (select 1 from unnest(${needles}::text[]) n where e.raw::text like '%' || n || '%'))
        + (select count(*) from fullstory_sessions s where s.user_id = any(${needles}::text[]) or s.email = any(${needles}::text[]))
        + (select count(*) from fullstory_individuals i where exists (select 1 from unnest(${needles}::text[]) n where i.raw::text like '%' || n || '%'))
        + (select count(*) from fullstory_rejects r where exists (select 1 from unnest(${needles}::text[]) n where r.raw_original like '%' || n || '%')) as n`.execute(stack.database.db);
    return Number(rows[0]!.n);
  }

  const forget = (...args: string[]) => runCli(['forget', '--account', ORG, ...args], stack.env);
  /** What coverage claims of the events' stream: each day's state, the gaps and the watermark. */
  const claims = async () => {
    const result = await runCli(['coverage', '--site', `${ORG}/events`, '--from', new Date(T0).toISOString(), '--to', new Date(T0 + 3 * HOUR).toISOString(), '--json'], stack.env);
    const site = (JSON.parse(result.stdout) as { sites: Array<{ watermark: string; gaps: unknown[]; days: Array<{ state: string }> }> }).sites[0]!;
    return { watermark: site.watermark, gaps: site.gaps, states: site.days.map((day) => day.state), code: result.code };
  };

  it('--dry-run counts what would go and changes nothing', async () => {
    const person = rowsOfPerson(events, { email: 'user0@example.com' });
    const before = await copy();
    const result = await forget('--email', 'user0@example.com', '--dry-run', '--json');
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { erasureId: null; identities: number; rows: Record<string, number> };
    expect(report.erasureId).toBeNull();
    expect(report.identities).toBe(person.emails.size + person.userIds.size + person.indvIds.size);
    expect(report.rows.fullstory_events).toBe(events.filter(person.ofPerson).length);
    expect(report.rows.fullstory_individuals).toBe(sandbox.individuals(ORG, T0, T0 + 3 * HOUR).filter(person.ofPerson).length);
    expect(await copy()).toEqual(before);
    expect(await stack.database.db.selectFrom('erasure_suppressions').select('identity_hash').execute()).toEqual([]);
  });

  it('forgets one person by email and another by user id everywhere; re-exports and backfill --force bring neither back; everyone else stays exact', async () => {
    const individuals = sandbox.individuals(ORG, T0, T0 + 3 * HOUR);
    const byEmail = rowsOfPerson(events, { email: 'user0@example.com' });
    // Another person, known by FullStory's user id of one of their sessions in the second hour.
    const secondHourUser = String(events.find((event) => Date.parse(String(event.EventStart)) >= T0 + HOUR && event.UserEmail === 'user1@example.com')!.UserId);
    const byUserId = rowsOfPerson(events, { userId: secondHourUser });
    expect(byUserId.userIds.size).toBeGreaterThan(1); // followed through the email to the user's other sessions
    const everyoneElse = (row: Row) => !byEmail.ofPerson(row) && !byUserId.ofPerson(row);
    const before = await copy();
    const claimsBefore = await claims();
    expect(await traces(byEmail)).toBeGreaterThan(0);

    const first = await forget('--email', 'User0@Example.com');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`forgot one person of fullstory account ${ORG}, by email`);
    expect(first.stdout).toMatch(new RegExp(`fullstory_events\\s+${events.filter(byEmail.ofPerson).length.toLocaleString('en')} rows deleted`));
    const second = JSON.parse((await forget('--user-id', secondHourUser, '--json')).stdout) as { rows: Record<string, number> };
    expect(second.rows.fullstory_events).toBe(events.filter(byUserId.ofPerson).length);
    expect(second.rows.fullstory_individuals).toBe(individuals.filter(byUserId.ofPerson).length);
    expect(await traces(byEmail)).toBe(0);
    expect(await traces(byUserId)).toBe(0);
    // An erased person's rows are neither missing nor a gap: coverage claims what it claimed.
    expect(await claims()).toEqual(claimsBefore);

    const after = await copy();
    const remaining = (rows: string[], gone: number) => expect(rows.length).toBe(gone);
    remaining(after.events, events.filter(everyoneElse).length);
    remaining(after.individuals, individuals.filter(everyoneElse).length);
    // Everyone else's rows are exactly the rows they had.
    expect(after.events.every((row) => before.events.includes(row))).toBe(true);
    expect(after.sessions.every((row) => before.sessions.includes(row))).toBe(true);
    expect(after.individuals.every((row) => before.individuals.includes(row))).toBe(true);

    // A re-export of every window, events and individuals: the sandbox still serves both people.
    const reexport = await backfill('events', true);
    expect(reexport.suppressed).toBe(events.length - events.filter(everyoneElse).length);
    const individualsAgain = await backfill('individuals', true);
    expect(individualsAgain.suppressed).toBe(individuals.length - individuals.filter(everyoneElse).length);
    expect(await traces(byEmail)).toBe(0);
    expect(await traces(byUserId)).toBe(0);
    expect(await copy()).toEqual(after);
    const { rows: runs } = await sql<{ suppressed: string }>`select suppressed from sync_runs where customer_id = ${ORG} order by id desc limit 2`.execute(stack.database.db);
    expect(runs.map((run) => Number(run.suppressed)).sort()).toEqual([reexport.suppressed, individualsAgain.suppressed].sort());

    // The audit says when, which account and which kind of identity; never who.
    const list = await runCli(['forget', '--list'], stack.env);
    expect(list.stdout).toMatch(new RegExp(`erasure \\d+ .* fullstory account ${ORG}  by email  \\d+ identities  finished`));
    expect(list.stdout).toMatch(/by user-id/);
    expect(list.stdout).not.toMatch(/user0|user1|@/);
    const { rows: stored } = await sql<{ t: string }>`select row(e.*)::text || (select string_agg(row(s.*)::text, ',') from erasure_suppressions s) as t from erasures e`.execute(stack.database.db);
    expect(stored.map((row) => row.t).join()).not.toMatch(/user0|user1|example\.com|${secondHourUser}/);
  });

  it('a load in flight for the account commits first: forget waits for it, then deletes what it wrote; MCP calls that named the person are redacted', async () => {
    const db = stack.database.db;
    const person = 'user5@example.com';
    await recordMcpCall(db, { keyName: 'analyst', keySuffix: 'ABCDEFG', tool: 'search_sessions', arguments: { site: `${ORG}/events`, email: 'User5@example.com' }, rows: 3, durationMs: 12, error: null });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A load's transaction: it has read the suppression list (without the person) and writes after.
    const load = db.transaction().execute(async (trx) => {
      const list = await suppressionsFor(trx, ORG, new ErasureKey(ERASURE_KEY));
      expect(list.suppresses([['email', person]])).toBe(false);
      await held;
      // Keyed as a session the copy holds already, so its partition is there.
      await sql`insert into fullstory_sessions (org_id, stream, user_id, session_id, started_at, session_start, session_end, page_count, event_count, email)
                select ${ORG}, 'events', '1', 'late', started_at, started_at, started_at, 1, 1, ${person} from fullstory_sessions where org_id = ${ORG} limit 1`.execute(trx);
    });
    const forgetting = forget('--email', person, '--json');
    const waiting = async () => Number((await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`.execute(db)).rows[0]!.n) > 0;
    await waitFor(waiting, 30_000, 'forget to wait for the load in flight');
    release();
    await load;
    const result = await forgetting;
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { rows: Record<string, number> };
    expect(report.rows.mcp_audit).toBe(1);
    expect(await traces(rowsOfPerson(events, { email: person }))).toBe(0);
    expect((await sql<{ n: string }>`select count(*) as n from fullstory_sessions where session_id = 'late'`.execute(db)).rows[0]!.n).toBe('0');
    const audit = await sql<{ a: string }>`select arguments::text as a from mcp_audit`.execute(db);
    expect(audit.rows.map((row) => row.a)).toEqual([expect.stringMatching(/^\{"redacted": "erasure \d+"\}$/)]);
    // A load after it reads the person on the list.
    const after = await db.transaction().execute((trx) => suppressionsFor(trx, ORG, new ErasureKey(ERASURE_KEY)));
    expect(after.suppresses([['email', 'USER5@example.com']])).toBe(true);
    // The MCP server's role reads neither the audit nor the list.
    const grants = await sql<{ t: string; r: boolean }>`select t, has_table_privilege('session_sync_mcp_reader', t, 'select') as r from unnest(array['erasures', 'erasure_suppressions', 'fullstory_events']) t`.execute(db);
    expect(grants.rows).toEqual([{ t: 'erasures', r: false }, { t: 'erasure_suppressions', r: false }, { t: 'fullstory_events', r: true }]);
  });

  it('erases from a partition retention detached and kept (sync.retentionDetachOnly) too', async () => {
    const db = stack.database.db;
    const site = stack.config().sites.sites.find((candidate) => candidate.siteId === 'events')!;
    const [retained] = await applySiteRetention(db, [{ ...site, sync: { ...site.sync, retentionMs: 24 * HOUR, retentionDetachOnly: true } }], { now: Date.now(), dryRun: false });
    expect(retained!.action).toBe('detached');
    const kept = retained!.partitions.map((partition) => partition.name);
    expect(kept.length).toBeGreaterThan(0);
    const person = rowsOfPerson(events, { email: 'user6@example.com' });
    const inKept = async (where: string) => {
      let n = 0;
      for (const name of kept) n += Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(name)} where ${sql.raw(where)}`.execute(db)).rows[0]!.n);
      return n;
    };
    const before = await inKept('true');
    expect(await inKept("lower(user_email) = 'user6@example.com'")).toBe(events.filter(person.ofPerson).length);
    const result = JSON.parse((await forget('--email', 'user6@example.com', '--json')).stdout) as { rows: Record<string, number> };
    expect(result.rows.fullstory_events).toBe(events.filter(person.ofPerson).length);
    expect(await inKept("lower(user_email) = 'user6@example.com'")).toBe(0);
    expect(await inKept('true')).toBe(before - events.filter(person.ofPerson).length);
  });

  it('a missing hash key is a clear error: forget refuses, and so does a worker over a suppression list', async () => {
    const { ERASURE_HASH_KEY: _, ...withoutKey } = stack.env;
    const refused = await runCli(['forget', '--account', ORG, '--email', 'user2@example.com'], withoutKey);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('session-sync: ERASURE_HASH_KEY is not set: `session-sync forget` needs the key the suppression list is hashed with.');
    await expect(checkSuppressionKey(stack.database.db, undefined)).rejects.toThrow(
      `account ${ORG} has erased people on its suppression list, and ERASURE_HASH_KEY is not set: nothing of it is loaded without the key. Set ERASURE_HASH_KEY to the key \`session-sync forget\` used (key id ${new ErasureKey(ERASURE_KEY).id}).`,
    );
    const otherKey = new ErasureKey(randomBytes(32).toString('base64'));
    await expect(checkSuppressionKey(stack.database.db, otherKey)).rejects.toThrow(`hashed with another ERASURE_HASH_KEY (key id ${new ErasureKey(ERASURE_KEY).id}; this one's is ${otherKey.id})`);
    const worker = await runCli(['worker'], { ...withoutKey, METRICS_PORT: '0' });
    expect(worker.code).not.toBe(0);
    expect(worker.stderr).toContain(`account ${ORG} has erased people on its suppression list, and ERASURE_HASH_KEY is not set`);
  });
});
