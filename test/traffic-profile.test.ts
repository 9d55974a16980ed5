import { describe, expect, it } from 'vitest';
import { durationShares, hourlyProfile, sessionsBetween, sessionsReturned } from '../operations/traffic-profile.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the traffic the budget planner works from', () => {
  it('averages each hour of the day over the recent hours that hold sessions, and fills an hour never seen with the average', () => {
    const hours = [
      { hourStart: 9 * HOUR, sessions: 100 },
      { hourStart: DAY + 9 * HOUR, sessions: 300 },
      { hourStart: 10 * HOUR, sessions: 40 },
    ];
    const profile = hourlyProfile(hours)!;
    expect(profile[9]).toBe(200);
    expect(profile[10]).toBe(40);
    expect(profile[3]).toBe(120);
    expect(hourlyProfile([])).toBeNull();
    // Half of hour 9 and all of hour 10.
    expect(sessionsBetween(profile, 9.5 * HOUR, 11 * HOUR)).toBe(140);
  });

  it('counts what a query returns: a session ending at e only when it started at or after the query start', () => {
    // 60 sessions an hour, each lasting 10 minutes: the first 10 minutes of a query's hour return none.
    const traffic = { hourly: Array(24).fill(60), lastedAtMost: durationShares([{ minutes: 10, sessions: 500 }]) };
    expect(sessionsReturned(traffic, 0, HOUR)).toBeCloseTo(50, 6);
    expect(durationShares([{ minutes: 1, sessions: 1 }, { minutes: 30, sessions: 3 }])(5 * 60_000)).toBe(0.25);
  });
});
