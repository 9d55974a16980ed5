import type { BackfillRequestsFigure } from './figures/backfill-requests.js';
import type { CrashFigure } from './figures/crash-cost.js';
import type { FullStoryLoadFigure } from './figures/fullstory-load.js';
import type { FullStoryScheduleFigure } from './figures/fullstory-schedule-requests.js';
import type { McpLatencyFigure } from './figures/mcp-latency.js';
import type { MemoryFigure, PipelineFigure, ResyncFigure } from './figures/pipeline-and-memory.js';
import type { RateFigure } from './figures/rate-efficiency.js';
import type { ScaleFigure } from './figures/scale.js';
import type { ScheduleRequestsFigure } from './figures/schedule-requests.js';

export interface BenchResults {
  ranAt: string;
  machine: { cpu: string; memoryGb: number; node: string; postgres: string };
  figures: {
    rate1?: RateFigure;
    rate3?: RateFigure;
    backfillRequests?: BackfillRequestsFigure;
    scheduleRequests?: ScheduleRequestsFigure;
    pipeline?: PipelineFigure;
    memory?: MemoryFigure;
    resync?: ResyncFigure;
    crash?: CrashFigure;
    fullstory?: FullStoryLoadFigure;
    fullstorySchedule?: FullStoryScheduleFigure;
    mcp?: McpLatencyFigure;
    scale?: ScaleFigure;
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${Math.round(n * 100)}%`;

/** The figures as a Markdown table, targets beside them (docs/benchmarks.md shows the latest). */
export function renderTable(results: BenchResults): string {
  const { rate1, rate3, backfillRequests, scheduleRequests, pipeline, memory, resync, crash, fullstory, fullstorySchedule, mcp, scale } = results.figures;
  const rows: string[][] = [];
  for (const rate of [rate1, rate3]) {
    if (!rate) continue;
    rows.push([
      `rate efficiency, ${rate.workers} worker${rate.workers > 1 ? 's' : ''}`,
      `${rate.efficiency.toFixed(3)}, ${rate.rateLimited} × 429`,
      '≥ 0.98, 0 × 429',
      `${int(rate.sessionsPerMinute)} sessions/min at ${rate.limitPerMinute} requests/min; at most ${rate.maxRequestsPerMinute} requests in any 60 s; a grant to its request's arrival ${rate.arrivalLagMs.min}–${rate.arrivalLagMs.max} ms (p50 ${rate.arrivalLagMs.p50}, p99 ${rate.arrivalLagMs.p99}); ${rate.requestShare.toFixed(3)} of the limit's requests × pages ${rate.pageFill.toFixed(3)} full; a slot free ${rate.slotIdleMs.p50} ms before its next grant (p90 ${rate.slotIdleMs.p90}, p99 ${rate.slotIdleMs.p99}, max ${rate.slotIdleMs.max}), ${rate.slotIdleMs.lostRequestsPerMinute.toFixed(1)} requests a minute left unasked`,
    ]);
  }
  if (backfillRequests) {
    const b = backfillRequests;
    rows.push([
      `backfill requests, ${b.days} days`,
      `${b.ratio.toFixed(3)} × minimum`,
      '≤ 1.01',
      `${int(b.requests)} requests for ${int(b.sessions)} sessions (minimum ${int(b.minimumRequests)}), ${b.windows} window${b.windows === 1 ? '' : 's'}; 50,000 sessions a day following the day, sessions up to 4 h`,
    ]);
  }
  if (scheduleRequests) {
    const s = scheduleRequests;
    rows.push([
      'scheduled requests a day, every 15 min',
      `${int(s.requestsPerDay)} (${(s.requestsPerDay / s.previousRequestsPerDay).toFixed(2)} × before)`,
      '≤ 0.5 × before',
      `30-min reach-back and a daily sweep with 24 h; before: ${int(s.previousRequestsPerDay)} with a 4 h reach-back (sessions over 4 h lost); ${int(s.sessionsPerDay)} sessions that day`,
    ]);
    rows.push([
      'watermark lag, every 15 min',
      `${(s.worstWatermarkLagMs / 3_600_000).toFixed(2)} h at worst`,
      `≤ ${(s.plannedWatermarkLagMs / 3_600_000).toFixed(2)} h (plan)`,
      'what the requests above buy: the longest the copy stayed complete only up to before a run, replayed from the coverage ledger at each run\'s nominal time; the daily sweep makes the day complete once it has settled',
    ]);
    rows.push([
      'plan vs measured',
      `${int(s.plannedRequestsPerDay)} predicted, ${pct(s.plannedRequestsPerDay / s.requestsPerDay - 1)} off`,
      'within 5%',
      '`session-sync plan` the day after, from the sessions stored, against the requests that day measured above',
    ]);
  }
  if (pipeline) {
    rows.push([
      'pipeline ceiling',
      pipeline.ratio.toFixed(2),
      '≥ 0.6',
      `${int(pipeline.sessionsPerSecond)} sessions/s end to end vs ${int(pipeline.copySessionsPerSecond)}/s by COPY; page time: ${Object.entries(pipeline.phases).map(([phase, share]) => `${phase} ${pct(share)}`).join(', ')}; CPU seconds in ${pipeline.seconds.toFixed(1)} s (${results.machine.cpu}): ${Object.entries(pipeline.cpuSeconds).map(([group, cpu]) => `${group} ${cpu.toFixed(1)}`).join(', ')}`,
    ]);
  }
  if (memory) {
    rows.push(['idle worker', `${int(memory.idleRssMb)} MB`, '≤ 150 MB', `compiled worker, 12 s after ready (${int(memory.readyRssMb)} MB at 5 s, before V8's first idle collection); ready (polling) ${memory.startupSeconds.toFixed(1)} s after it was spawned`]);
    rows.push([
      'memory',
      `${int(memory.peakRssMb)} MB peak, ${memory.flat ? 'flat' : 'GROWS'}`,
      '≤ 200 MB, flat',
      `worker RSS by quarter of a ${int(memory.sessions)}-session backfill: ${memory.rssByQuarterMb.map((mb) => `${int(mb)}`).join(' / ')} MB`,
    ]);
  }
  if (resync) {
    rows.push([
      'idempotent re-sync',
      `${int(resync.rowsRewritten)} rows rewritten`,
      '0',
      `--force over ${int(resync.sessions)} unchanged sessions: ${resync.requests} requests, ${resync.seconds.toFixed(1)} s, tuple writes ${resync.tupleWrites}`,
    ]);
  }
  if (fullstory) {
    rows.push([
      'FullStory window load',
      fullstory.ratio.toFixed(2),
      '≥ 0.80',
      `${int(fullstory.events)} events in ${fullstory.loadSeconds.toFixed(1)} s (${int(fullstory.eventsPerSecond)}/s: download, parse, COPY, merge, sessions) vs ${int(fullstory.copyEventsPerSecond)}/s by COPY; phases ${phaseList(fullstory.loadPhaseSeconds)}`,
    ]);
    rows.push([
      'FullStory load memory',
      `${int(fullstory.peakRssMb)} MB peak, ${fullstory.flat ? 'flat' : 'GROWS'}`,
      'flat',
      `worker RSS by quarter of the load: ${fullstory.rssByQuarterMb.map((mb) => `${int(mb)}`).join(' / ')} MB`,
    ]);
    rows.push(['FullStory re-export', `${int(fullstory.resyncRowsRewritten)} rows rewritten`, '0', `--force over the unchanged window: ${fullstory.resyncSeconds.toFixed(1)} s`]);
  }
  if (fullstorySchedule) {
    const f = fullstorySchedule;
    rows.push([
      'FullStory plan vs measured',
      `${int(f.plannedRequestsPerDay)} predicted, ${pct(f.plannedRequestsPerDay / f.requestsPerDay - 1)} off`,
      'within 5%',
      `${f.runs} hourly runs with the defaults (1-day windows, the trailing day re-exported): ${int(f.requestsPerDay)} API requests measured for ${int(f.exportsPerDay)} exports, each pending 1 to 3 polls; \`session-sync plan\` the day after`,
    ]);
  }
  if (mcp) {
    rows.push(['MCP search_sessions', `p50 ${mcp.p50Ms.toFixed(1)} ms, p95 ${mcp.p95Ms.toFixed(1)} ms`, 'p95 < 50 ms', `${mcp.calls} one-day pages of 100 (first and next) over ${int(mcp.sessions)} stored sessions, through the SDK's client and a real \`session-sync mcp\``]);
  }
  if (scale) {
    for (const series of scale.series) {
      const last = series.steps.at(-1)!;
      rows.push([
        `cost per row as ${series.table} grows (${series.layout})`,
        `${series.worstRatio.toFixed(2)}× at ${int(last.storedRows)} rows`,
        '≤ 1.15× at 50M',
        `${series.steps[0]!.secondsPerMillionRowsEach.length} loads of equal days (${int(series.steps[0]!.rows)} rows each; wall time the best, WAL and buffers the mean), shared_buffers ${scale.sharedBuffers}: ${series.steps
          .map((step) => `into ${int(step.storedRows)} rows ${step.secondsPerMillionRows.toFixed(1)} s/M rows (${step.secondsPerMillionRowsEach.map((each) => each.toFixed(1)).join(', ')}), ${int(step.walBytesPerRow)} WAL bytes/row (its vacuum ${int(step.vacuumWalBytesPerRow)} more, ${step.vacuumSeconds.toFixed(1)} s), ${step.buffersPerRow.toFixed(1)} buffers/row, ${int(step.diskBytesPerRow)} bytes/row on disk`)
          .join('; ')}`,
      ]);
      const at = series.atLargest;
      if (at) {
        rows.push([`at ${int(last.storedRows)} rows (${series.layout})`, `drop a day ${at.dropDaySeconds.toFixed(2)} s; load ${at.loadOverCopy.toFixed(2)} of COPY`, 'drop < 1 s; load ≥ 0.8 of COPY; MCP p95 < 50 ms', `retention's drop of the oldest day; MCP get_session p95 ${at.getSessionP95Ms.toFixed(1)} ms, search_sessions p95 ${at.searchSessionsP95Ms.toFixed(1)} ms (200 calls each, in process); the best load at that size (from its download to its commit) over a plain COPY of the last one's rows into a table like its partition`]);
        const deleted = Object.entries(at.erasure.rows).filter(([, n]) => n > 0).map(([table, n]) => `${table} ${int(n)}`).join(', ');
        rows.push([`forget one person at ${int(last.storedRows)} rows`, `${at.erasure.seconds.toFixed(1)} s`, '—', `by email, the person with the most events on the day loaded last, in every stored day: ${at.erasure.identities} identities; rows deleted: ${deleted}`]);
      }
      rows.push(...series.steps.map((step) => [`WAL by relation into ${int(step.storedRows)} rows (${series.layout})`, `${int(step.walBytesPerRow)} bytes/row`, '—', step.walByRelation.map((share) => `${share.relation} ${int(share.bytesPerRow)} (whole pages ${int(share.wholePageBytesPerRow)})`).join(', ')]));
    }
  }
  if (crash) {
    rows.push(['crash cost', `${crash.extraRequestsPerKill.toFixed(2)} extra requests per kill`, '≤ 1', `${crash.kills} SIGKILLs during a ${crash.pages}-page backfill: ${crash.requests} requests`]);
  }
  const m = results.machine;
  return [
    `| figure | measured | target | detail |`,
    `| --- | --- | --- | --- |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Ran ${results.ranAt} on ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}, Postgres ${m.postgres}.`,
  ].join('\n');
}

/** `copy 61.2 s, renumber 0.4 s, …`: where a load's time went, as the worker logged it. */
function phaseList(seconds: Record<string, number>): string {
  return Object.entries(seconds).map(([phase, s]) => `${phase} ${s.toFixed(1)} s`).join(', ') || 'not logged';
}
