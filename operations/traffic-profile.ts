const HOUR_MS = 3_600_000;

/**
 * A site's sessions a day, hour by hour of the UTC day: for each hour of
 * the day, the average over the hours of recent days that hold any session
 * (an hour with none is taken as not synced, not as quiet).
 *
 * @example hourlyProfile([{ hourStart: 0, sessions: 10 }, { hourStart: 86_400_000, sessions: 30 }])[0] // 20
 */
export function hourlyProfile(hours: ReadonlyArray<{ hourStart: number; sessions: number }>): number[] | null {
  if (hours.length === 0) return null;
  const sums = Array.from({ length: 24 }, () => ({ sessions: 0, hours: 0 }));
  for (const hour of hours) {
    const slot = sums[new Date(hour.hourStart).getUTCHours()]!;
    slot.sessions += hour.sessions;
    slot.hours += 1;
  }
  const seen = sums.filter((slot) => slot.hours > 0);
  // An hour of the day never seen takes the average of those seen.
  const fallback = seen.reduce((total, slot) => total + slot.sessions / slot.hours, 0) / seen.length;
  return sums.map((slot) => (slot.hours > 0 ? slot.sessions / slot.hours : fallback));
}

/** Sessions expected to end in [from, to) (Unix ms, any length) by the hourly profile. */
export function sessionsBetween(profile: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let at = from; at < to; ) {
    const hourEnd = (Math.floor(at / HOUR_MS) + 1) * HOUR_MS;
    const until = Math.min(hourEnd, to);
    total += (profile[new Date(at).getUTCHours()]! * (until - at)) / HOUR_MS;
    at = until;
  }
  return total;
}
