/**
 * What the budget planner knows of one site's cost, from what the database
 * has seen; each source models it its own way (paged sessions, exported
 * windows). Null figures: no history to model from yet.
 */
export interface SiteCost {
  /** What its requests follow: sessions read a page at a time, or windows exported. */
  basis: CostBasis;
  /** Records a day over recent days (sessions), where the model counts them. */
  recordsPerDay: number | null;
  /** Requests a window has cost over recent runs, where the model works from them. */
  requestsPerWindow: number | null;
  /** Requests a day of its schedule on `cron`: its runs, their windows, and the daily sweep. */
  scheduleRequestsPerDay(cron: string): number | null;
  /** Requests of a backfill of `days` days as the CLI plans it. */
  backfillRequests(days: number): number | null;
}

export type CostBasis = 'sessions' | 'windows';

/** Days of history a cost is modelled from. */
export const PROFILE_DAYS = 7;
