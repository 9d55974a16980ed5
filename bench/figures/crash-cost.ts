import { committedPages } from '../../devstack/committed-pages.js';
import { waitFor } from '../../devstack/session-sync-process.js';
import { HOUR, siteIds, startScenario, T0, type BenchStack } from '../bench-stack.js';

export interface CrashFigure {
  kills: number;
  pages: number;
  requests: number;
  extraRequestsPerKill: number;
}

const KILLS = 5;

/**
 * A backfill whose worker is killed with SIGKILL at a random instant after
 * each bit of progress, then restarted: requests beyond committed pages, per kill.
 */
export async function measureCrashCost(stack: BenchStack): Promise<CrashFigure> {
  const [site] = siteIds(1, 'crash') as [string];
  const scenario = await startScenario(stack, 'crash', [site], { limitPerMinute: null, ratePerMinute: 1_000_000 });
  const fastFailover = { WORKER_STICKY_QUEUE_TIMEOUT: '1s' };
  try {
    const committed = () => committedPages(scenario.database.db);
    // Latency per page, so that kills land inside pages as well as between them.
    scenario.sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 150 });
    const run = scenario.backfill(site, T0, T0 + 6 * HOUR, { heartbeatTimeoutMs: 4_000, pagesPerRun: 20 });
    await scenario.startWorkers(1, fastFailover);
    let worker = scenario.workers[0]!;
    for (let kill = 0; kill < KILLS; kill++) {
      const before = await committed();
      await waitFor(async () => (await committed()) > before + 3, 120_000, 'progress');
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      worker.child.kill('SIGKILL');
      await worker.exited;
      await scenario.startWorkers(1, fastFailover);
      worker = scenario.workers.at(-1)!;
    }
    const totals = await run;
    const requests = scenario.sandbox.requests.filter((r) => r.status !== 429 && r.endTime !== null && r.startTime !== null && r.endTime - r.startTime > 1).length;
    return { kills: KILLS, pages: totals.pages, requests, extraRequestsPerKill: (requests - (await committed())) / KILLS };
  } finally {
    await scenario.close();
  }
}

