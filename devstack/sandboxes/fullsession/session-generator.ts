import { hashSeed, pick, seededRandom } from '../random.js';

export const HOUR_MS = 3_600_000;

/** A generated session: the API's JSON object plus the two times used for filtering. */
export interface SandboxSession {
  uuid: string;
  startTime: number;
  endTime: number;
  json: Record<string, unknown>;
}

export interface SiteSpec {
  customerId: string;
  siteId: string;
  /** Average sessions starting per hour (over a day, with `dailyCycle`). */
  sessionsPerHour: number;
  /**
   * Traffic that follows the day, as real sites' does: from 0.4 × the
   * average at 03:00 UTC to 1.6 × at 15:00, same daily total.
   */
  dailyCycle?: boolean;
  /** Longest session the generator makes; sync settings must cover it. */
  maxSessionDurationMs: number;
  /** Every hour holds exactly its average, so days compare like for like (benchmarks); by default an hour holds 0.5 to 1.5 times it. */
  steady?: boolean;
}

const COUNTRIES = [
  ['United States', 'US', 'Austin'],
  ['Germany', 'DE', 'Berlin'],
  ['Brazil', 'BR', 'São Paulo'],
  ['Japan', 'JP', 'Osaka'],
  ['India', 'IN', 'Pune'],
] as const;
const BROWSERS = [['Chrome', '131.0.6778.86'], ['Firefox', '133.0'], ['Safari', '18.1.1'], ['Edge', '131.0.2903.70']] as const;
const OSES = ['Windows', 'macOS', 'iOS', 'Android', 'Linux'] as const;
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const PATHS = ['/', '/pricing', '/blog/replay-tips', '/signup', '/docs/api', '/checkout'] as const;
const REFERRERS = ['https://www.google.com/', 'https://news.ycombinator.com/', '', 'https://t.co/x'] as const;

/**
 * Generates the sessions that START in one hour of one site, deterministically:
 * the same site and hour always give the same sessions. Start times are unique
 * per site, which lets the sandbox's cursor be a start time, as the real
 * API's appears to be. Durations are mostly minutes, with a tail of sessions
 * lasting hours, so windows get straddled.
 */
export function generateHour(site: SiteSpec, hourStart: number): SandboxSession[] {
  const random = seededRandom(hashSeed(`${site.customerId}/${site.siteId}/${hourStart}`));
  const spread = 0.5 + random();
  const count = Math.round(site.sessionsPerHour * hourOfDayFactor(site, hourStart) * (site.steady ? 1 : spread));
  const offsets = Array.from({ length: count }, () => Math.floor(random() * (HOUR_MS - count)));
  offsets.sort((a, b) => a - b);
  // Strictly increasing offsets keep start times unique within the hour.
  for (let i = 1; i < offsets.length; i++) offsets[i] = Math.max(offsets[i]!, offsets[i - 1]! + 1);
  return offsets.map((offset, index) => buildSession(site, random, hourStart + offset, index));
}

/** The day's shape: a sine over 24 hours that averages 1, so the daily total is sessionsPerHour × 24. */
function hourOfDayFactor(site: SiteSpec, hourStart: number): number {
  if (!site.dailyCycle) return 1;
  const hourOfDay = new Date(hourStart).getUTCHours();
  return 1 + 0.6 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
}

function buildSession(site: SiteSpec, random: () => number, startTime: number, index: number): SandboxSession {
  const duration = sessionDuration(random, site.maxSessionDurationMs);
  const endTime = startTime + duration;
  const uuid = uuidFrom(random, startTime);
  const [country, countryCode, city] = pick(random, COUNTRIES);
  const [browser, browserFullVersion] = pick(random, BROWSERS);
  const pageCount = 1 + Math.floor(random() * 6);
  const pages = Array.from({ length: pageCount }, () => ({ fullPath: pick(random, PATHS) }));
  const json: Record<string, unknown> = {
    uuid,
    userId: random() < 0.3 ? null : `user-${Math.floor(random() * 5000)}`,
    startTime,
    endTime,
    duration,
    activeTime: Math.floor(duration * (0.2 + random() * 0.7)),
    country,
    countryCode,
    city,
    os: pick(random, OSES),
    browser,
    browserFullVersion,
    device: pick(random, DEVICES),
    referrer: pick(random, REFERRERS),
    landingPage: pages[0]!.fullPath,
    exitPage: pages[pages.length - 1]!.fullPath,
    pages,
  };
  // Undocumented fields appear on some sessions; they must survive in `payload`.
  if (index % 7 === 0) json.customAttributes = { plan: pick(random, ['free', 'pro', 'enterprise']), seats: index % 50 };
  return { uuid, startTime, endTime, json };
}

function sessionDuration(random: () => number, maxMs: number): number {
  const roll = random();
  if (roll < 0.85) return Math.min(maxMs, 5_000 + Math.floor(random() * 30 * 60_000));
  if (roll < 0.97) return Math.min(maxMs, 30 * 60_000 + Math.floor(random() * 90 * 60_000));
  return Math.floor(maxMs * (0.5 + random() * 0.5));
}

function uuidFrom(random: () => number, startTime: number): string {
  return `${startTime.toString(16).padStart(8, '0').slice(-8)}-${randomHex(random, 4)}-4${randomHex(random, 3)}-a${randomHex(random, 3)}-${randomHex(random, 12)}`;
}

const HEX_DIGITS = '0123456789abcdef';

/** `digits` random hex digits, a draw each. A loop, not an array of one-digit strings joined: generating sessions is most of the sandbox's CPU in the pipeline benchmark, which shares the machine's two cores with the worker it measures. */
function randomHex(random: () => number, digits: number): string {
  let hex = '';
  for (let i = 0; i < digits; i++) hex += HEX_DIGITS[Math.floor(random() * 16)];
  return hex;
}
