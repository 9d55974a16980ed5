export interface PhaseClock {
  /** Ends the current phase under this name and starts the next. */
  lap(phase: string): void;
  phases: Record<string, number>;
}

/**
 * Milliseconds spent in each consecutive phase of a load, for the log line
 * that tells an operator where a slow window's time went.
 *
 * @example const clock = phaseClock(); await stage(); clock.lap('stage'); clock.phases // { stage: 5120 }
 */
export function phaseClock(): PhaseClock {
  let last = performance.now();
  const phases: Record<string, number> = {};
  return {
    lap(phase) {
      const now = performance.now();
      phases[phase] = Math.round(now - last);
      last = now;
    },
    phases,
  };
}
