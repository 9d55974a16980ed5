import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfillCommand } from '../cli/backfill-command.js';
import { backfillRequest } from '../cli/backfill-request.js';
import { connectTemporalClient } from '../cli/temporal-client.js';
import { summaryLine } from '../cli/watch-progress.js';
import { statusCommand } from '../cli/status-command.js';
import { loadConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { startEmbeddedPostgresProcess } from '../devstack/embedded-postgres-process.js';
import { startTemporalDevServer } from '../devstack/temporal-dev-server.js';
import { createLogger } from '../logging/logger.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { createSyncWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';

const DAY = 86_400_000;
const CUSTOMER = 'demo-customer';
const SITE = 'demo-site';
const ORG = 'o-demo-na1';
/** The FullStory org's streams the demo syncs: its events (and so sessions) and its individuals. */
const FULLSTORY_STREAMS = ['events', 'individuals'] as const;
const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm run demo`: the main job on an embedded local stack. Starts Postgres
 * (unless DATABASE_URL is set), a Temporal dev server with its UI, the
 * sandbox FullSession API at its real limit of 20 requests per minute and
 * the sandbox FullStory API, runs a worker and backfills the last three days
 * of a FullSession site and of a FullStory org, side by side.
 */
async function main(): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: true });
  installTemporalRuntime(log);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    print('demo: starting Postgres, Temporal dev server and the sandbox FullSession and FullStory APIs…');
    const postgres = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => {} } : await startEmbeddedPostgresProcess();
    stops.push(postgres.stop);
    const temporal = await startTemporalDevServer({ ui: true });
    stops.push(temporal.stop);

    const today = Math.floor(Date.now() / DAY) * DAY;
    const token = `fus_demo${randomBytes(12).toString('hex')}`;
    const sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 150, maxSessionDurationMs: 4 * 3_600_000 }],
      tokens: [{ token, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 4 * DAY,
      limitPerMinute: 20,
    });
    stops.push(() => sandbox.close());
    const fullStoryKey = `na1.${randomBytes(24).toString('base64url')}/DEMOKEY`;
    const fullStory = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 400 }], keys: [{ key: fullStoryKey, orgId: ORG, role: 'ARCHITECT', email: 'etl@demo.example' }] });
    stops.push(() => fullStory.close());
    print(`demo: Postgres ${process.env.DATABASE_URL ? 'from DATABASE_URL' : '(embedded, throw-away)'}; sandbox API ${sandbox.url} at FullSession's real limit, 20 requests/minute, so the run takes about a minute`);

    const config = loadConfig(
      {
        DATABASE_URL: postgres.url,
        TEMPORAL_ADDRESS: temporal.address,
        SESSION_SYNC_CONFIG: writeDemoConfig(),
        DEMO_FULLSESSION_TOKEN: token,
        DEMO_FULLSTORY_KEY: fullStoryKey,
        FULLSESSION_API_URL: sandbox.url,
        FULLSTORY_API_URL: fullStory.url,
        FULLSTORY_EU_API_URL: fullStory.url,
        FULLSTORY_POLL_INTERVAL: '1s',
      },
      { credentials: true },
    );
    const db = connectDatabase({ url: config.database.url });
    stops.push(() => db.destroy());
    await migrateToLatest(db, log);
    const { worker, close } = await createSyncWorker({ config, credentials: config.credentials, db, log });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
      await close();
    });

    // Three days up to the last six-hour boundary that is older than the settle delay (30 min).
    const to = Math.floor((Date.now() - 30 * 60_000) / (6 * 3_600_000)) * 6 * 3_600_000;
    const range = { from: new Date(to - 3 * DAY).toISOString(), to: new Date(to).toISOString(), force: true };
    // The FullStory org's exports (events, individuals) run beside the FullSession backfill, detached; their results are awaited after.
    const started = Date.now();
    const fullStoryRuns = [];
    for (const stream of FULLSTORY_STREAMS) {
      fullStoryRuns.push({ stream, run: backfillRequest(config, { ...range, site: `${ORG}/${stream}` }) });
      await backfillCommand(config, { ...range, site: `${ORG}/${stream}`, detach: true }, print);
    }
    await backfillCommand(config, { ...range, site: SITE, detach: false }, print, Boolean(process.stdout.isTTY));
    const client = await connectTemporalClient(config.temporal);
    for (const { stream, run } of fullStoryRuns) {
      const totals = await client.workflow.getHandle(run.workflowId).result();
      print(summaryLine(totals, Date.now() - started, { site: `${ORG}/${stream}`, recordNoun: stream }));
    }
    await client.connection.close();
    print('\n$ session-sync status');
    await statusCommand(config, db, { json: false }, print);
    printNextSteps(temporal.uiUrl, postgres.url);
    if (process.stdin.isTTY) {
      print('\nThe stack keeps running so you can look around. Press Ctrl-C to stop everything.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    print('demo: stopping…');
    await stopAll();
  }
}

function printNextSteps(uiUrl: string | null, databaseUrl: string): void {
  print(`
Temporal UI:   ${uiUrl}/namespaces/default/workflows
Postgres:      psql '${databaseUrl}'
Try:           select country, count(*) as sessions, round(avg(duration_ms) / 1000) as avg_seconds
               from fullsession_sessions group by country order by sessions desc;
               select device, count(*) as sessions, round(avg(event_count)) as events
               from fullstory_sessions group by device order by sessions desc;`);
}

/** The demo's config file: one FullSession site and one FullStory org, keys read from variables. */
function writeDemoConfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'session-sync-demo-')), 'session-sync.yaml');
  writeFileSync(
    path,
    `credentials:
  demo-fullsession: { kind: fullsession-api-token, secret: { env: DEMO_FULLSESSION_TOKEN } }
  demo-fullstory: { kind: fullstory-api-key, secret: { env: DEMO_FULLSTORY_KEY } }
defaults:
  sync: { window: 6h }
accounts:
  ${CUSTOMER}:
    sites:
      ${SITE}: { credential: demo-fullsession }
  ${ORG}:
    source: fullstory
    # The sandbox has no limit; FullStory's default budget (30 a minute) would make the demo wait.
    rateLimitPerMinute: 300
    sites:
${FULLSTORY_STREAMS.map((stream) => `      ${stream}: { credential: demo-fullstory }`).join('\n')}
`,
  );
  return path;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
