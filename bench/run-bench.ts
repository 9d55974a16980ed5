import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startBenchStack, type BenchStack } from './bench-stack.js';
import { measureBackfillRequests } from './figures/backfill-requests.js';
import { measureCrashCost } from './figures/crash-cost.js';
import { measureMcpLatency } from './figures/mcp-latency.js';
import { measureFullStoryLoad } from './figures/fullstory-load.js';
import { measureFullStoryScheduleRequests } from './figures/fullstory-schedule-requests.js';
import { measurePipelineMemoryResync } from './figures/pipeline-and-memory.js';
import { measureRateEfficiency } from './figures/rate-efficiency.js';
import { measureScale } from './figures/scale.js';
import { measureScheduleRequests } from './figures/schedule-requests.js';
import { renderTable, type BenchResults } from './report.js';

/**
 * `npm run bench [-- rate|requests|pipeline|fullstory|fullstory-plan|mcp|crash|scale ...]`: measures the figures against
 * the sandbox API, a Temporal dev server and Postgres, prints a table and
 * writes bench/results/<time>.json; a run of every part also writes
 * bench/results/latest.json, the figures docs/benchmarks.md's table shows, which a
 * run of one part must not overwrite with a table of that part alone.
 */
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const PARTS = ['rate', 'requests', 'pipeline', 'fullstory', 'fullstory-plan', 'mcp', 'crash', 'scale'];
/** Parts run only when named: `scale` fills tables to 50 million rows (about half an hour). */
const ON_REQUEST = new Set(['scale']);
const wanted = new Set(process.argv.slice(2));
const runs = (name: string) => wanted.has(name) || (wanted.size === 0 && !ON_REQUEST.has(name));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// A misspelt part would measure nothing and still write a results file.
const unknownParts = [...wanted].filter((part) => !PARTS.includes(part));
if (unknownParts.length > 0) {
  process.stderr.write(`bench: no part ${unknownParts.map((part) => `"${part}"`).join(', ')}; the parts are ${PARTS.join(', ')}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  try {
    const results: BenchResults = { ranAt: new Date().toISOString(), machine: await machine(stack), figures: {} };
    if (runs('rate')) {
      // BENCH_RATE_WORKERS=3 measures one of the two, to look into it.
      const workerCounts = (process.env.BENCH_RATE_WORKERS ?? '1,3').split(',').map(Number);
      if (workerCounts.includes(1)) {
        log('rate efficiency, 1 worker (about 5.5 min)');
        results.figures.rate1 = await measureRateEfficiency(stack, 1);
      }
      if (workerCounts.includes(3)) {
        log('rate efficiency, 3 workers (about 5.5 min)');
        results.figures.rate3 = await measureRateEfficiency(stack, 3);
      }
    }
    if (runs('requests')) {
      log('requests of a 30-day backfill on the realistic profile (50,000 sessions a day)');
      results.figures.backfillRequests = await measureBackfillRequests(stack);
      log('requests of a day of a 15-minute schedule on the realistic profile');
      results.figures.scheduleRequests = await measureScheduleRequests(stack);
    }
    if (runs('pipeline')) {
      log('pipeline ceiling, memory and re-sync over about 1,000,000 sessions');
      Object.assign(results.figures, await measurePipelineMemoryResync(stack));
    }
    if (runs('fullstory')) {
      log('FullStory: one window of about 2.4 million events, loaded and re-exported');
      results.figures.fullstory = await measureFullStoryLoad(stack);
    }
    if (runs('fullstory-plan')) {
      log('FullStory: a day of an hourly schedule against what plan predicts');
      results.figures.fullstorySchedule = await measureFullStoryScheduleRequests(stack);
    }
    if (runs('mcp')) {
      log('MCP: search_sessions over a million stored sessions');
      results.figures.mcp = await measureMcpLatency(stack);
    }
    if (runs('scale')) {
      results.figures.scale = await measureScale(stack, log);
    }
    if (runs('crash')) {
      log('crash cost');
      results.figures.crash = await measureCrashCost(stack);
    }
    const table = renderTable(results);
    process.stdout.write(`${table}\n`);
    mkdirSync(RESULTS, { recursive: true });
    const json = `${JSON.stringify({ ...results, table }, null, 2)}\n`;
    writeFileSync(`${RESULTS}${results.ranAt.replace(/[:.]/g, '-')}.json`, json);
    if (wanted.size === 0) writeFileSync(`${RESULTS}latest.json`, json);
  } finally {
    await stack.close();
  }
}

async function machine(stack: BenchStack): Promise<BenchResults['machine']> {
  const client = new pg.Client({ connectionString: stack.adminDatabaseUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: `${rows[0]?.server_version} (${stack.postgresSource})`,
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // A failed workflow's reason is in its cause chain.
    for (let cause: unknown = error, prefix = 'bench failed'; cause; cause = (cause as { cause?: unknown }).cause, prefix = 'caused by') {
      process.stderr.write(`${prefix}: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
    }
    process.exit(1);
  },
);
