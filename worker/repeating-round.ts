/** Rounds of work repeated on a timer. */
export interface RepeatingRound {
  /** Stops the rounds, waiting for one in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs`, never two at once: a tick while one is
 * still going is skipped. A round that fails is handed to `onFailure` and
 * made again at the next tick.
 *
 * @example const checks = repeatEvery(60_000, check, (error) => log.warn({ err: error }, 'check failed'))
 */
export function repeatEvery(intervalMs: number, round: () => Promise<void>, onFailure: (error: unknown) => void): RepeatingRound {
  let inProgress: Promise<void> | undefined;
  const timer = setInterval(() => {
    inProgress ??= round()
      .catch(onFailure)
      .finally(() => (inProgress = undefined));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await inProgress;
    },
  };
}
