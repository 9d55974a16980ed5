import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what survived the last full collection.
 * Left to itself V8 grows it up to 4× on a fast machine: over a million-session
 * backfill the worker's heap reached 200 MB around 60 MB of live objects and
 * its RSS about 300 MB. Measured peaks of that backfill: 20% 167–171 MB,
 * 50% 176–178 MB, 100% 224 MB; throughput within the run-to-run noise from
 * 50% up, about 10% lower at 20%. It is a growth factor, not a ceiling, so a
 * larger live set (a big export file) still gets the heap it needs.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets the worker's heap growth, unless the operator chose one on node's
 * command line. Node refuses this V8 flag in NODE_OPTIONS, so it is set here,
 * before the worker allocates; V8 reads it at each collection.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
