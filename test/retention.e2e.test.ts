import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../devstack/session-sync-process.js';
import { FULLSTORY_EVENTS_TABLE, FULLSTORY_SESSIONS_TABLE, partitionName } from '../db/site-partitions.js';
import { statusPageHtml } from '../status-page/status-page.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startFullStoryStack, type FullStoryStack } from './support/fullstory-stack.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';

const ORG = 'o-5R5-na1';
const SITE = `${ORG}/events`;
const DAY = 86_400_000;
const sites = (sync: string) => `      events: { credential: fs, schedule: { cron: "0 0 1 1 *" }, sync: { ${sync} } }\n`;

/** sync.retention drops whole partitions past it; coverage calls their days expired, which is neither complete nor a gap. */
describe('retention', () => {
  const { log } = capturingLogger('warn');
  let fullStory: FullStoryStack;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const first = today - 14 * DAY;
  const day = (at: number) => new Date(at).toISOString();
  const partitionOf = (at: number) => partitionName(FULLSTORY_EVENTS_TABLE, { customerId: ORG, siteId: 'events' }, at);
  const eventsOn = (at: number) => fullStory.sandbox.events(ORG, at, at + DAY).length;
  const sessionsPartitionOf = (at: number) => partitionName(FULLSTORY_SESSIONS_TABLE, { customerId: ORG, siteId: 'events' }, at);
  /** The stored sessions keyed in the day from `at` (fullstory_sessions.started_at). */
  const sessionsKeyedOn = async (at: number) =>
    (await sql<{ n: number }>`select count(*)::int as n from fullstory_sessions where org_id = ${ORG} and started_at >= ${new Date(at)} and started_at < ${new Date(at + DAY)}`.execute(fullStory.stack.database.db)).rows[0]!.n;

  beforeAll(async () => {
    fullStory = await startFullStoryStack({ orgId: ORG, eventsPerHour: 60, pendingPolls: 0, pollInterval: '50ms', sites: sites('partition: 1d'), log });
    const backfill = await runCli(['backfill', '--site', SITE, '--from', day(first), '--to', day(today - 4 * DAY)], fullStory.stack.env);
    expect(backfill.code, backfill.stderr).toBe(0);
    // The operator sets a retention of a week (the stack's config file, as startFullStoryStack writes it).
    fullStory.stack.writeConfig(`credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }\naccounts:\n  ${ORG}:\n    source: fullstory\n    rateLimitPerMinute: 100000\n    sites:\n${sites('partition: 1d, retention: 7d')}\n`);
  });
  afterAll(() => fullStory?.close());

  const attached = async () =>
    (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'fullstory_events'::regclass order by 1`.execute(fullStory.stack.database.db)).rows.map((row) => row.name);

  it('--dry-run lists the partitions past the horizon with their rows and takes nothing', async () => {
    const before = await attached();
    const dry = await runCli(['retention', '--site', SITE, '--dry-run', '--json'], fullStory.stack.env);
    expect(dry.code, dry.stderr).toBe(0);
    type Partition = { name: string; from: string; to: string; rows: number };
    const report = JSON.parse(dry.stdout) as { dryRun: boolean; sites: Array<{ retention: string; action: string; partitions: Partition[]; derived: { table: string; partitions: Partition[] } }> };
    expect(report.dryRun).toBe(true);
    expect(report.sites[0]).toMatchObject({ retention: '7d', action: 'dropped' });
    // Every day that ended 7 days ago or more: the 14th to the 8th day before today.
    expect(report.sites[0]!.partitions).toEqual(Array.from({ length: 7 }, (_, n) => ({ name: partitionOf(first + n * DAY), from: day(first + n * DAY), to: day(first + (n + 1) * DAY), rows: eventsOn(first + n * DAY) })));
    // Sessions keyed up to two days before their events: those keyed from two days before the
    // first day to two days before the horizon day, whose events can only lie in the days that go.
    const keyedDays = Array.from({ length: 7 }, (_, n) => first + (n - 2) * DAY);
    const sessions = await Promise.all(keyedDays.map(async (at) => ({ name: sessionsPartitionOf(at), from: day(at), to: day(at + DAY), rows: await sessionsKeyedOn(at) })));
    expect(sessions.slice(2).every((partition) => partition.rows > 0)).toBe(true);
    expect(report.sites[0]!.derived).toEqual({ table: 'fullstory_sessions', partitions: sessions });
    expect(await attached()).toEqual(before);
  });

  it('drops them, and coverage shows their days expired with exit 0, the watermark counted through them', async () => {
    const rows = Array.from({ length: 7 }, (_, n) => eventsOn(first + n * DAY)).reduce((a, b) => a + b, 0);
    const sessionRows = (await Promise.all(Array.from({ length: 7 }, (_, n) => sessionsKeyedOn(first + (n - 2) * DAY)))).reduce((a, b) => a + b, 0);
    const keptSessions = await sessionsKeyedOn(first + 5 * DAY);
    const text = await runCli(['retention', '--site', SITE], fullStory.stack.env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`fullstory ${SITE}: retention 7d, horizon `);
    expect(text.stdout).toContain(`  7 partitions, ${rows.toLocaleString('en')} rows, and 7 partitions, ${sessionRows.toLocaleString('en')} rows of fullstory_sessions derived from them: dropped`);
    const left = await attached();
    for (let n = 0; n < 7; n += 1) expect(left).not.toContain(partitionOf(first + n * DAY));
    for (let n = 7; n < 10; n += 1) expect(left).toContain(partitionOf(first + n * DAY));
    const tables = await sql<{ n: number }>`select count(*)::int as n from pg_class where relkind = 'r' and relname like ${`${partitionOf(first).slice(0, -8)}%`}`.execute(fullStory.stack.database.db);
    expect(tables.rows[0]!.n).toBe(left.filter((name) => name.startsWith(partitionOf(first).slice(0, -8))).length);
    // What is left is exact; nothing of the expired days, nor any session keyed in the days whose
    // partitions went. Sessions keyed in the two days before the first day kept stay, whole, until
    // the days their events can lie in go too: never a DELETE.
    const kept = (await storedFullStoryRows(fullStory.stack.database.db, ORG, first, today)).length;
    expect(kept).toBe(fullStory.sandbox.events(ORG, first + 7 * DAY, today - 4 * DAY).length);
    const oldSessions = await sql<{ n: number }>`select count(*)::int as n from fullstory_sessions where org_id = ${ORG} and started_at < ${new Date(first + 5 * DAY)}`.execute(fullStory.stack.database.db);
    expect(oldSessions.rows[0]!.n).toBe(0);
    expect(await sessionsKeyedOn(first + 5 * DAY)).toBe(keptSessions);

    const coverage = await runCli(['coverage', '--site', SITE, '--from', day(first), '--to', day(today - 4 * DAY), '--json'], fullStory.stack.env);
    expect(coverage.code, coverage.stderr).toBe(0);
    const report = (JSON.parse(coverage.stdout) as { sites: Array<{ watermark: string; gaps: unknown[]; expired: unknown[]; days: Array<{ state: string; records: number }> }> }).sites[0]!;
    expect(report.days.map((d) => d.state)).toEqual([...Array(7).fill('expired'), 'complete', 'complete', 'complete']);
    expect(report.days.map((d) => d.records)).toEqual([...Array(7).fill(0), ...[7, 8, 9].map((n) => eventsOn(first + n * DAY))]);
    expect(report.gaps).toEqual([]);
    expect(report.expired).toEqual([{ from: day(first), to: day(first + 7 * DAY) }]);
    expect(report.watermark).toBe(day(today - 4 * DAY));
    const picture = await runCli(['coverage', '--site', SITE, '--from', day(first), '--to', day(today - 4 * DAY)], fullStory.stack.env);
    expect(picture.code).toBe(0);
    expect(picture.stdout).toContain('|-------###|');
    expect(picture.stdout).toContain('- expired (removed by retention)');

    // The status page draws the same days, in the state of their own.
    const html = await statusPageHtml({ db: fullStory.stack.database.db, client: fullStory.stack.client, config: fullStory.stack.config() });
    for (let n = 0; n < 7; n += 1) expect(html).toContain(`data-day="${day(first + n * DAY).slice(0, 10)}" data-state="expired"`);
    expect(html).toContain(`data-day="${day(first + 7 * DAY).slice(0, 10)}" data-state="complete"`);
  });

  it('backfill --gaps fetches nothing, and a backfill before the horizon is refused with why', async () => {
    const requests = fullStory.sandbox.requests.length;
    const gaps = await runCli(['backfill', '--gaps', '--site', SITE], fullStory.stack.env);
    expect(gaps.code, gaps.stderr).toBe(0);
    expect(gaps.stdout).toContain(`${SITE}: no gaps to backfill`);
    expect(fullStory.sandbox.requests.length).toBe(requests);
    const refused = await runCli(['backfill', '--site', SITE, '--from', day(first), '--to', day(first + DAY)], fullStory.stack.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`--from ${day(first)} is before the retention horizon of ${ORG}/events \\(sync.retention 7d: [^)]+\\): retention would take it away again; backfill from the horizon on, or lengthen sync.retention first`));
    expect(fullStory.sandbox.requests.length).toBe(requests);
  });

  it('a second run finds nothing more to take', async () => {
    const again = await runCli(['retention', '--site', SITE], fullStory.stack.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('  nothing past the horizon');
  });
});
