import type { CoveredWindow } from '../db/coverage-repository.js';
import { clip, coveredUntil, subtract, union, type TimeRange } from './time-ranges.js';

/** What a synced window must satisfy to prove its range complete (SourceDefinition.completeness, with the site's numbers). */
export interface CompletenessRule {
  /** The reach-back a window's query needs (the site's maxSessionDuration); null when reach-back does not matter. */
  reachBackMs: number | null;
  /** A range is complete only as synced this long after it: data lands or changes late. */
  settleMs: number;
}

/** A run that has not finished well: its range is running or failed where the ledger does not cover it. */
export interface RunSpan extends TimeRange {
  status: 'running' | 'failed';
}

export type GapState = 'running' | 'failed' | 'missing';
export type DayState = 'complete' | 'provisional' | GapState | 'pending' | 'expired';

export interface CoverageStates {
  /** Every record of these ranges is stored. */
  complete: TimeRange[];
  /** Synced, but a sweep or a re-export still has to pass over them. */
  provisional: TimeRange[];
  /** Expected and not synced, each with why. */
  gaps: Array<TimeRange & { state: GapState }>;
  /** Synced once, then taken away by retention: neither complete nor a gap. */
  expired: TimeRange[];
  /** Synced at all: the newest instant any window reached; null before the first. */
  freshUntil: number | null;
  /** Before this instant, from the start of the history, the copy is complete; null before the first window. */
  watermark: number | null;
}

/**
 * The states of a stream's key over its history, from the coverage ledger
 * and its unfinished runs. A window proves complete the part of its range
 * that had settled when it was synced, and only with the reach-back the rule
 * needs; the rest of what it synced is provisional. Expected history runs
 * from `expectedFrom` to `expectedTo`; what of it no window synced is a
 * gap, running or failed where such a run covers it, else missing. What
 * retention took (`expired`) is neither: the watermark counts through it,
 * as from the retention horizon on the copy is what it claims.
 */
export function coverageStates(windows: readonly CoveredWindow[], runs: readonly RunSpan[], rule: CompletenessRule, expected: TimeRange | null, expiredRanges: readonly TimeRange[] = []): CoverageStates {
  const expired = union(expiredRanges);
  const synced = union(windows);
  const settled = union(windows.filter((window) => rule.reachBackMs === null || window.reachBackMs >= rule.reachBackMs).map((window) => ({ from: window.from, to: Math.min(window.to, window.syncedAt - rule.settleMs) })));
  const complete = subtract(settled, expired);
  const provisional = subtract(subtract(synced, settled), expired);
  const freshUntil = synced.length > 0 ? Math.max(...synced.map((range) => range.to)) : null;
  const historyStart = union([...synced, ...expired])[0]?.from ?? null;
  const watermark = historyStart === null ? null : coveredUntil(union([...complete, ...expired]), historyStart);
  const gaps = expected ? classifyGaps(subtract(subtract([expected], synced), expired), runs) : [];
  return { complete, provisional, gaps, expired, freshUntil, watermark };
}

/** Splits the gaps by the runs over them: running first (a retry of a failed range is running), then failed, else missing. */
function classifyGaps(gaps: readonly TimeRange[], runs: readonly RunSpan[]): Array<TimeRange & { state: GapState }> {
  const running = union(runs.filter((run) => run.status === 'running'));
  const failed = subtract(runs.filter((run) => run.status === 'failed'), running);
  const classified: Array<TimeRange & { state: GapState }> = [];
  for (const gap of gaps) {
    for (const part of clip(running, gap)) classified.push({ ...part, state: 'running' });
    for (const part of clip(failed, gap)) classified.push({ ...part, state: 'failed' });
    for (const part of subtract([gap], [...running, ...failed])) classified.push({ ...part, state: 'missing' });
  }
  return classified.sort((a, b) => a.from - b.from);
}

const DAY_MS = 86_400_000;
/** Worst first: a day shows the worst state of any part of it. */
const SEVERITY: readonly DayState[] = ['failed', 'missing', 'running', 'provisional', 'pending', 'expired', 'complete'];

/**
 * One state per UTC day of [from, to): the worst state of any instant of
 * it. Instants past the expected history (not synced yet, and no gap) are
 * pending: lateness, which freshness judges, not a hole.
 */
export function dayStates(states: CoverageStates, range: TimeRange): Array<{ day: number; state: DayState }> {
  const days: Array<{ day: number; state: DayState }> = [];
  for (let day = Math.floor(range.from / DAY_MS) * DAY_MS; day < range.to; day += DAY_MS) {
    const within = { from: Math.max(day, range.from), to: Math.min(day + DAY_MS, range.to) };
    const present = new Set<DayState>();
    for (const gap of states.gaps) if (clip([gap], within).length > 0) present.add(gap.state);
    if (clip(states.provisional, within).length > 0) present.add('provisional');
    if (subtract([within], [...states.complete, ...states.provisional, ...states.gaps, ...states.expired]).length > 0) present.add('pending');
    if (clip(states.expired, within).length > 0) present.add('expired');
    if (clip(states.complete, within).length > 0) present.add('complete');
    days.push({ day, state: SEVERITY.find((state) => present.has(state)) ?? 'pending' });
  }
  return days;
}
