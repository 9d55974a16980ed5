const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Parses a human duration such as `90s`, `15m`, `4h` or `1d` into milliseconds.
 * Returns undefined for anything else so callers can report it with context.
 *
 * @example parseDuration('4h') // 14_400_000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * Writes milliseconds back in the largest unit that divides them, as a
 * config file would say it.
 *
 * @example formatDurationText(14_400_000) // '4h'
 */
export function formatDurationText(ms: number): string {
  const units = (Object.entries(UNIT_MS) as Array<[string, number]>).reverse();
  const [unit, size] = units.find(([, size]) => ms % size === 0 && ms >= size) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}
