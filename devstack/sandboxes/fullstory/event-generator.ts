import { hashSeed, pick, seededRandom } from '../random.js';

export const HOUR_MS = 3_600_000;

export interface OrgSpec {
  orgId: string;
  /** Average events starting per hour. */
  eventsPerHour: number;
  /** Every hour holds exactly `eventsPerHour`, so days compare like for like (benchmarks); by default an hour holds 0.5 to 1.5 times it. */
  steady?: boolean;
}

/** The id fields FullStory sends as JSON integers beyond 2^53. */
export const BIG_ID_FIELDS = ['IndvId', 'UserId', 'SessionId', 'PageId'] as const;

const EVENT_TYPES = ['click', 'navigate', 'load', 'change', 'pageview', 'exception', 'thrash'] as const;
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge'] as const;
const DEVICES = ['Desktop', 'Mobile', 'Tablet'] as const;
const PLATFORMS = ['Web', 'iOS', 'Android'] as const;
const SYSTEMS = ['Windows', 'macOS', 'iOS', 'Android', 'Linux'] as const;
const PAGES = ['https://shop.example/', 'https://shop.example/cart', 'https://shop.example/checkout?step=2', 'https://shop.example/p/42'] as const;

/**
 * The events of one org that start in one hour, deterministically, as the
 * export's rows with ids as decimal text (the exact values; the sandbox
 * writes them as bare JSON integers). About one row in twenty is an exact
 * copy of the row before: FullStory has no event id, and identical rows can
 * be distinct real events.
 */
export function generateHour(org: OrgSpec, hourStart: number): Array<Record<string, unknown>> {
  const random = seededRandom(hashSeed(`${org.orgId}/${hourStart}`));
  const spread = 0.5 + random();
  const count = org.steady ? org.eventsPerHour : Math.round(org.eventsPerHour * spread);
  const users = Array.from({ length: Math.max(1, Math.ceil(count / 40)) }, (_, i) => ({ userId: bigId(random), indvId: bigId(random), email: `user${i}@example.com`, sessionId: bigId(random), sessionStart: hourStart }));
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && random() < 0.05) {
      rows.push({ ...rows[i - 1]! });
      continue;
    }
    const user = pick(random, users);
    const eventStart = hourStart + Math.floor(random() * HOUR_MS);
    rows.push({
      IndvId: user.indvId,
      UserId: user.userId,
      SessionId: user.sessionId,
      PageId: bigId(random),
      UserEmail: user.email,
      UserDisplayName: user.email.split('@')[0],
      SessionStart: new Date(user.sessionStart).toISOString(),
      EventStart: new Date(eventStart).toISOString(),
      EventType: pick(random, EVENT_TYPES),
      PageUrl: pick(random, PAGES),
      PageBrowser: pick(random, BROWSERS),
      PageDevice: pick(random, DEVICES),
      PagePlatform: pick(random, PLATFORMS),
      PageOperatingSystem: pick(random, SYSTEMS),
      PageNumEvents: 1 + Math.floor(random() * 200),
    });
  }
  return rows;
}

/** A 63-bit id above 2^53, as FullStory's are, in decimal. */
function bigId(random: () => number): string {
  const high = BigInt(Math.floor(random() * 2 ** 30) + 2 ** 30);
  const low = BigInt(Math.floor(random() * 2 ** 32));
  return ((high << 32n) | low).toString();
}

/** One NDJSON line as FullStory writes it: the big ids as bare integers, which JSON.parse would round. */
export function toNdjsonLine(row: Record<string, unknown>): string {
  return JSON.stringify(row).replace(/"(IndvId|UserId|SessionId|PageId)":"(\d+)"/g, '"$1":$2');
}
