import type { Print } from './print.js';

/** What Ctrl-C says at the step a command has reached, and what to tidy first (a progress bar). */
export interface InterruptNotice {
  /** From now on, Ctrl-C runs `before` (if given), prints `message` and exits 130. */
  say(message: string, before?: () => void): void;
  /** Gives Ctrl-C back to Node's default. */
  release(): void;
}

/**
 * Holds Ctrl-C for a command from its first step to its last, so an
 * interrupt always ends with exit 130 and a line that is true at that step
 * (starting, watching, already finished), never with Node's silent kill in
 * the gaps between steps.
 */
export function holdInterrupt(print: Print, message: string): InterruptNotice {
  let current = { message, before: undefined as (() => void) | undefined };
  const onInterrupt = () => {
    current.before?.();
    print(`\n${current.message}`);
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);
  return {
    say(message, before) {
      current = { message, before };
    },
    release() {
      process.removeListener('SIGINT', onInterrupt);
    },
  };
}
