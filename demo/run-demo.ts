import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfillCommand } from '../cli/backfill-command.js';
import { backfillRequest } from '../cli/backfill-request.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
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
  if (!claimDemo()) return;
  installTemporalRuntime(log);
  const stops: (() => Promise<void>)[] = [() => releaseDemo()];
  // Once, in reverse order of starting, however many paths ask (Ctrl-C and the end of main both do).
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      print('\ndemo: stopping every process it started…');
      for (const stop of [...stops].reverse()) await stop().catch(() => {});
    })());
  // Ctrl-C at any point stops every process the demo started and removes its throw-away files; so
  // does a closed terminal or a kill. Handled for good, not once: Ctrl-C reaches the demo twice (from
  // the terminal and relayed by npm's tsx), and a second signal unhandled would end it mid-cleanup.
  // A closed terminal fails writes to it, which must not end the cleanup either.
  process.stdout.on('error', () => {});
  const interrupted = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
  });
  void interrupted.then(async () => {
    await stopAll();
    process.exit(130);
  });
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

    const configDir = mkdtempSync(join(tmpdir(), 'session-sync-demo-'));
    stops.push(async () => rmSync(configDir, { recursive: true, force: true }));
    const stackEnv = {
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      SESSION_SYNC_CONFIG: writeDemoConfig(configDir),
      DEMO_FULLSESSION_TOKEN: token,
      DEMO_FULLSTORY_KEY: fullStoryKey,
      FULLSESSION_API_URL: sandbox.url,
      FULLSTORY_API_URL: fullStory.url,
      FULLSTORY_EU_API_URL: fullStory.url,
      FULLSTORY_POLL_INTERVAL: '1s',
    };
    const config = loadConfig(stackEnv, { credentials: true });
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
    const client = await connectTemporalClient(config.temporal.connection);
    for (const { stream, run } of fullStoryRuns) {
      const totals = await client.workflow.getHandle(run.workflowId).result();
      print(summaryLine(totals, Date.now() - started, { site: `${ORG}/${stream}`, recordNoun: stream }));
    }
    await client.connection.close();
    print('\n$ session-sync status');
    await statusCommand(config, db, { json: false }, print);
    printNextSteps(temporal.uiUrl, postgres.url, stackEnv);
    if (process.stdin.isTTY) {
      print('\nThe stack keeps running so you can look around. Press Ctrl-C to stop everything (and remove the throw-away Postgres).');
      await interrupted;
    }
  } finally {
    await stopAll();
  }
}

function printNextSteps(uiUrl: string | null, databaseUrl: string, stackEnv: Record<string, string>): void {
  print(`
Temporal UI:   ${uiUrl}/namespaces/default/workflows
Postgres:      psql '${databaseUrl}'
Try:           select country, count(*) as sessions, round(avg(duration_ms) / 1000) as avg_seconds
               from fullsession_sessions group by country order by sessions desc;
               select device, count(*) as sessions, round(avg(event_count)) as events
               from fullstory_sessions group by device order by sessions desc;

Point the CLI at this stack: paste this into another terminal in this folder
(the keys are the sandbox's, not real ones):

${Object.entries(stackEnv).filter(([name]) => name !== 'FULLSTORY_POLL_INTERVAL').map(([name, value]) => `export ${name}='${value}'`).join('\n')}

then try:

npx session-sync status
npx session-sync coverage
npx session-sync schedule apply && npx session-sync schedule list`);
}

/** One demo at a time: its ports and processes are the machine's. */
const DEMO_PID_FILE = join(tmpdir(), 'session-sync-demo.pid');

function claimDemo(): boolean {
  const running = existsSync(DEMO_PID_FILE) ? Number(readFileSync(DEMO_PID_FILE, 'utf8')) : null;
  if (running !== null && running !== process.pid && isAlive(running)) {
    process.stderr.write(`demo: a demo is already running (pid ${running}); use it, or stop it with Ctrl-C in its terminal (or kill ${running}) and run npm run demo again\n`);
    process.exitCode = 1;
    return false;
  }
  writeFileSync(DEMO_PID_FILE, String(process.pid));
  return true;
}

async function releaseDemo(): Promise<void> {
  rmSync(DEMO_PID_FILE, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The demo's config file: one FullSession site and one FullStory org, keys read from variables. */
function writeDemoConfig(dir: string): string {
  const path = join(dir, 'session-sync.yaml');
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
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
