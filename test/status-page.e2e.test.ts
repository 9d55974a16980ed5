import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedulesCommand, scheduleActionCommand } from '../cli/schedule-commands.js';
import { freeMetricsPort } from '../devstack/free-port.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { runCli, spawnWorker, waitUntilReady, type WorkerProcess } from '../devstack/session-sync-process.js';
import type { DayState } from '../read-model/coverage-states.js';
import { renderStatusPage, type StatusPageSite } from '../status-page/render-status-page.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';

const TOKEN = newToken();
/** Debian's chromium, which scripts/bootstrap.mjs installs; missing is a failure, never a skip. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const REASON = 'migrating the warehouse until Friday';

/** The worker's /status page, as a person sees it in a real browser. */
describe('the status page', () => {
  const { log } = capturingLogger('error');
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;
  let worker: WorkerProcess;
  let browser: Browser;
  let base: string;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day1 = today - 4 * DAY;
  const day2 = day1 + DAY;

  beforeAll(async () => {
    expect(CHROMIUM, 'chromium is missing: run node scripts/bootstrap.mjs (it installs it with apt)').toBeDefined();
    installTemporalRuntime(log);
    sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: 'site-a', sessionsPerHour: 10, maxSessionDurationMs: HOUR }, { customerId: CUSTOMER, siteId: 'site-b', sessionsPerHour: 10, maxSessionDurationMs: HOUR }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 10 * DAY,
      pageSize: 500,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: `credentials:\n  main: { kind: fullsession-api-token, secret: { env: PAGE_TOKEN } }\ndefaults:\n  schedule: { cron: "0 0 1 1 *" }\n  sync: { maxSessionDuration: 1h }\n  freshness: { warnAfter: 1d, errorAfter: 2d }\naccounts:\n  ${CUSTOMER}:\n    rateLimitPerMinute: 6000\n    sites:\n      site-a: { credential: main }\n      site-b: { credential: main }\n`,
      secrets: { PAGE_TOKEN: TOKEN },
      apiUrl: sandbox.url,
      log,
    });
    const port = await freeMetricsPort();
    base = `http://127.0.0.1:${port}`;
    worker = spawnWorker({ ...stack.env, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    await waitUntilReady(worker, base);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stack?.close();
    await sandbox?.close();
  });

  it('draws a gap day as missing and shows why a schedule is paused, with the two clocks; no key on it', async () => {
    // site-a: day 1 and day 3 synced, day 2 not; its schedule paused with a reason.
    for (const from of [day1, day1 + 2 * DAY]) expect((await runCli(['backfill', '--site', 'site-a', '--from', new Date(from).toISOString(), '--to', new Date(from + DAY).toISOString()], stack.env)).code).toBe(0);
    await applySchedulesCommand(stack.config(), { prune: false }, () => {});
    await scheduleActionCommand(stack.config(), 'pause', 'site-a', REASON, () => {});

    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const response = await page.goto(`${base}/status`);
    expect(response?.status()).toBe(200);
    const siteA = page.locator(`section[data-site="${CUSTOMER}/site-a"]`);
    expect(await siteA.locator('.schedule').innerText()).toMatch(new RegExp(`^paused: paused by an operator at \\S+Z: ${REASON}$`));
    expect(await siteA.locator('h2').innerText()).toBe(`fullsession ${CUSTOMER}/site-a stale`);
    expect(await siteA.innerText()).toContain(`complete to ${new Date(day2).toISOString().slice(0, 10)} 00:00Z`);
    // The strip: one cell a day from day 1; day 2 drawn in the missing colour, with its tooltip.
    const day2Cell = siteA.locator(`rect[data-day="${new Date(day2).toISOString().slice(0, 10)}"]`);
    expect(await day2Cell.getAttribute('data-state')).toBe('missing');
    expect(await day2Cell.getAttribute('fill')).toBe('#ffb300');
    expect(await day2Cell.locator('title').textContent()).toBe(`${new Date(day2).toISOString().slice(0, 10)}: missing`);
    expect(await siteA.locator('rect').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-state')).slice(0, 3))).toEqual(['complete', 'missing', 'complete']);
    // A site never synced says so.
    expect(await page.locator(`section[data-site="${CUSTOMER}/site-b"]`).innerText()).toContain('nothing synced yet');
    expect(await page.content()).not.toContain(TOKEN);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}status-page.png`, fullPage: true });
  });

  it('draws a year of history as a calendar that fits its card: a column a week, a row a weekday, no scroll bar', async () => {
    const from = Date.UTC(2026, 0, 1);
    const states: DayState[] = ['complete', 'complete', 'complete', 'provisional', 'missing', 'failed', 'running'];
    // The first quarter taken by a 9-month retention, drawn in its own state.
    const days = Array.from({ length: 365 }, (_, index) => ({ day: from + index * DAY, state: index < 90 ? ('expired' as const) : states[index % states.length]! }));
    const site = {
      status: { source: 'fullstory', customerId: 'o-1', siteId: 'events', schedule: { state: 'active', note: null, skippedRuns: 0, missedRuns: 0 }, lastFailure: null, freshness: { state: 'fresh' } },
      clocks: 'complete to 2026-12-31 00:00Z',
      days,
      gaps: [],
    } as unknown as StatusPageSite;
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.setContent(renderStatusPage([site], Date.UTC(2027, 0, 1)));
    const card = page.locator('section[data-site="o-1/events"]');
    const overflow = await card.evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth, body: element.ownerDocument.documentElement.scrollWidth, viewport: element.ownerDocument.documentElement.clientWidth }));
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    expect(overflow.body).toBeLessThanOrEqual(overflow.viewport);
    const cells = await card.locator('rect').evaluateAll((rects) => rects.map((rect) => ({ x: Number(rect.getAttribute('x')), y: Number(rect.getAttribute('y')), day: rect.getAttribute('data-day') })));
    expect(cells).toHaveLength(365);
    // 2026-01-01 is a Thursday: row 4 of the first week; Monday 2026-01-05 starts the second column at the top.
    expect(cells[0]).toEqual({ x: 26, y: 14 + 3 * 13, day: '2026-01-01' });
    expect(cells[4]).toEqual({ x: 26 + 13, y: 14, day: '2026-01-05' });
    expect(new Set(cells.map((cell) => cell.x)).size).toBe(53);
    expect(await card.locator('svg text').allTextContents()).toEqual(['Mon', 'Wed', 'Fri', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}status-page-year.png`, fullPage: true });
  });
});
