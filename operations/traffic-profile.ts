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

const MINUTE_MS = 60_000;

/** The site's traffic: sessions ending by hour of the day, and the share of sessions no longer than a duration. */
export interface Traffic {
  hourly: number[];
  /** Share (0–1) of sessions that lasted at most `ms`. */
  lastedAtMost(ms: number): number;
}

/**
 * The share of sessions no longer than a duration, from sessions counted by
 * whole minutes of duration (a session of minute m is taken to last m and a half).
 */
export function durationShares(byMinutes: ReadonlyArray<{ minutes: number; sessions: number }>): (ms: number) => number {
  const total = byMinutes.reduce((sum, bucket) => sum + bucket.sessions, 0);
  // Sessions of minute m or less, for m from 0 to the longest: the planner asks thousands of times.
  const longest = Math.max(0, ...byMinutes.map((bucket) => bucket.minutes));
  const atMost = new Array<number>(longest + 1).fill(0);
  for (const bucket of byMinutes) atMost[bucket.minutes]! += bucket.sessions;
  for (let m = 1; m <= longest; m++) atMost[m]! += atMost[m - 1]!;
  return (ms) => {
    if (total === 0) return 1;
    const minute = Math.floor(ms / MINUTE_MS - 0.5);
    return minute < 0 ? 0 : atMost[Math.min(minute, longest)]! / total;
  };
}

/**
 * Sessions a query returns: those that ended in [queryStart, end) and
 * started at or after queryStart (the API's filters), minute by minute: a
 * session ending at e is returned when it lasted at most e - queryStart.
 */
export function sessionsReturned(traffic: Traffic, queryStart: number, end: number): number {
  let total = 0;
  for (let at = queryStart; at < end; at += MINUTE_MS) {
    const until = Math.min(at + MINUTE_MS, end);
    total += sessionsBetween(traffic.hourly, at, until) * traffic.lastedAtMost((at + until) / 2 - queryStart);
  }
  return total;
}
