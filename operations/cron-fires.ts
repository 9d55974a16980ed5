import { Cron } from 'croner';

/** When the cron fires in [from, to), Unix ms. */
export function cronFires(cron: string, timezone: string, from: number, to: number): number[] {
  const schedule = new Cron(cron, { timezone, paused: true });
  const fires: number[] = [];
  for (let next = schedule.nextRun(new Date(from - 1)); next && next.getTime() < to; next = schedule.nextRun(next)) fires.push(next.getTime());
  return fires;
}
