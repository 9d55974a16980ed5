import { randomBytes } from 'node:crypto';
import { backfillCommand } from '../cli/backfill-command.js';
import { statusCommand } from '../cli/status-command.js';
import { loadConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { startEmbeddedPostgresProcess } from '../devstack/embedded-postgres-process.js';
import { startTemporalDevServer } from '../devstack/temporal-dev-server.js';
import { createLogger } from '../logging/logger.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { createSyncWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';

const DAY = 86_400_000;
const CUSTOMER = 'demo-customer';
const SITE = 'demo-site';
const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm run demo`: the main job on an embedded local stack. Starts Postgres
 * (unless DATABASE_URL is set), a Temporal dev server with its UI and the
 * sandbox FullSession API at its real limit of 20 requests per minute, runs a
 * worker and backfills the last three days of a sandbox site.
 */
async function main(): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: true });
  installTemporalRuntime(log);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    print('demo: starting Postgres, Temporal dev server and the sandbox FullSession API…');
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
    print(`demo: Postgres ${process.env.DATABASE_URL ? 'from DATABASE_URL' : '(embedded, throw-away)'}; sandbox API ${sandbox.url} at FullSession's real limit, 20 requests/minute, so the run takes about a minute`);

    const config = loadConfig(
      {
        DATABASE_URL: postgres.url,
        TEMPORAL_ADDRESS: temporal.address,
        FULLSESSION_API_URL: sandbox.url,
        FULLSESSION_API_TOKEN: token,
        FULLSESSION_CUSTOMER_ID: CUSTOMER,
        FULLSESSION_SITE_IDS: SITE,
        SYNC_WINDOW: '6h',
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
    await backfillCommand(config, { site: SITE, from: new Date(to - 3 * DAY).toISOString(), to: new Date(to).toISOString(), force: true, detach: false }, print, Boolean(process.stdout.isTTY));
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
               from fullsession_sessions group by country order by sessions desc;`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
