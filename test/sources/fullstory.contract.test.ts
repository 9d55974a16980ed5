// long-running: SIGKILLs of real workers, each waiting out a heartbeat timeout.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { describeSourceContract, type ContractSandbox, type SiteName } from './source-contract.js';
import { storedFullStoryRows } from '../support/fullstory-rows.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 9, 5);
const MAIN_ORG = 'o-1G1-na1';
const REVOCABLE_ORG = 'o-9Z9-na1';

function newKey(): string {
  return `na1.${randomBytes(24).toString('base64url')}/${randomBytes(5).toString('hex').slice(0, 7).toUpperCase()}`;
}

/** JSON with sorted keys: the test's own notion of "the same row", independent of the product's. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** A multiset of rows as id → row, where the id counts identical rows: `<row>#2` is the second copy. */
function asMultiset(rows: unknown[]): Record<string, unknown> {
  const seen = new Map<string, number>();
  const entries = rows.map((row) => {
    const key = canonical(row);
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return [`${key}#${n}`, row] as const;
  });
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/** FullStory's sandbox as the source contract drives it: two orgs, each with an Architect key. */
async function startFullStoryContractSandbox(): Promise<ContractSandbox> {
  const main = newKey();
  const revocable = newKey();
  const sandbox = await FullStorySandbox.start({
    orgs: [
      { orgId: MAIN_ORG, eventsPerHour: 100 },
      { orgId: REVOCABLE_ORG, eventsPerHour: 5 },
    ],
    pendingPolls: 1,
    keys: [
      { key: main, orgId: MAIN_ORG, role: 'ARCHITECT', email: 'etl@example.com' },
      { key: revocable, orgId: REVOCABLE_ORG, role: 'ARCHITECT', email: 'etl2@example.com' },
    ],
  });
  const unitRequests = (site: SiteName) => sandbox.requests.filter((r) => r.orgId === site.customerId && r.path !== '/me' && !r.path.startsWith('/_files/') && r.status !== 429).length;
  return {
    apiEnv: { FULLSTORY_API_URL: sandbox.url, FULLSTORY_EU_API_URL: sandbox.url, FULLSTORY_POLL_INTERVAL: '100ms' },
    configYaml: `
credentials:
  main: { kind: fullstory-api-key, secret: { env: CONTRACT_MAIN_KEY } }
  revocable: { kind: fullstory-api-key, secret: { env: CONTRACT_REVOCABLE_KEY } }
defaults:
  schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
  sync: { window: 6h, maxSessionDuration: 1m, settleDelay: 2s, initialLookback: 1h }
accounts:
  ${MAIN_ORG}:
    source: fullstory
    rateLimitPerMinute: 100000
    sites:
      events: { credential: main }
  ${REVOCABLE_ORG}:
    source: fullstory
    sites:
      events: { credential: revocable }
`,
    secrets: { CONTRACT_MAIN_KEY: main, CONTRACT_REVOCABLE_KEY: revocable },
    sites: { main: { customerId: MAIN_ORG, siteId: 'events' }, revocable: { customerId: REVOCABLE_ORG, siteId: 'events' } },
    ranges: { land: { from: T0, to: T0 + DAY }, kill: { from: T0 + 2 * DAY, to: T0 + 3 * DAY } },
    storedAndTruth: async (db, range) => {
      const rows = await storedFullStoryRows(db, MAIN_ORG, range.from, range.to);
      return { stored: asMultiset(rows), truth: asMultiset(sandbox.events(MAIN_ORG, range.from, range.to)) };
    },
    rowVersions: async (db) => {
      const rows = await sql<{ version: string }>`select row_sha256 || ':' || occurrence || ':' || xmin::text as version from fullstory_events where org_id = ${MAIN_ORG} order by 1`.execute(db);
      return rows.rows.map((row) => row.version);
    },
    unitRequests,
    revokeKey: () => sandbox.revokeKey(revocable),
    setUnitLatency: (ms) => {
      sandbox.latencyMs = ms;
    },
    close: () => sandbox.close(),
  };
}

describeSourceContract({ source: 'fullstory', startSandbox: startFullStoryContractSandbox });
