// long-running: SIGKILLs of real workers, each waiting out a heartbeat timeout.
import { sql } from 'kysely';
import { FullSessionSandbox } from '../../devstack/sandboxes/fullsession/sandbox-server.js';
import { storedAndTruth } from '../support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, newToken, SITE, syncRequestCount } from '../support/sandbox-fixtures.js';
import { describeSourceContract, type ContractSandbox } from './source-contract.js';

const REVOCABLE_SITE = 'site-r';

/** FullSession's sandbox as the source contract drives it. */
async function startFullSessionContractSandbox(): Promise<ContractSandbox> {
  const main = newToken();
  const revocable = newToken();
  const sandbox = await FullSessionSandbox.start({
    sites: [
      { customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 60, maxSessionDurationMs: 4 * HOUR },
      { customerId: CUSTOMER, siteId: REVOCABLE_SITE, sessionsPerHour: 5, maxSessionDurationMs: 4 * HOUR },
    ],
    tokens: [
      { token: main, customerId: CUSTOMER, sites: [SITE] },
      { token: revocable, customerId: CUSTOMER, sites: [REVOCABLE_SITE] },
    ],
    activeFrom: DAY0 - DAY,
    now: DAY0 + 10 * DAY,
    pageSize: 50,
    limitPerMinute: null,
  });
  const unitRequests = (site: { siteId: string }) => syncRequestCount(sandbox, site.siteId);
  return {
    apiEnv: { FULLSESSION_API_URL: sandbox.url },
    configYaml: `
credentials:
  main: { kind: fullsession-api-token, secret: { env: CONTRACT_MAIN_KEY } }
  revocable: { kind: fullsession-api-token, secret: { env: CONTRACT_REVOCABLE_KEY } }
defaults:
  schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
  sync: { window: 6h, maxSessionDuration: 4h, settleDelay: 2s, initialLookback: 1h }
accounts:
  ${CUSTOMER}:
    source: fullsession
    rateLimitPerMinute: 100000
    sites:
      ${SITE}: { credential: main }
      ${REVOCABLE_SITE}: { credential: revocable }
`,
    secrets: { CONTRACT_MAIN_KEY: main, CONTRACT_REVOCABLE_KEY: revocable },
    sites: { main: { customerId: CUSTOMER, siteId: SITE }, revocable: { customerId: CUSTOMER, siteId: REVOCABLE_SITE } },
    ranges: { land: { from: DAY0, to: DAY0 + DAY }, kill: { from: DAY0 + 2 * DAY, to: DAY0 + 4 * DAY } },
    storedAndTruth: (db, range) => storedAndTruth(db, sandbox, range.from, range.to),
    rowVersions: async (db) => {
      const rows = await sql<{ version: string }>`select session_id || ':' || xmin::text as version from fullsession_sessions where site_id = ${SITE} order by 1`.execute(db);
      return rows.rows.map((row) => row.version);
    },
    unitRequests,
    revokeKey: () => sandbox.revokeToken(revocable),
    setUnitLatency: (ms) => sandbox.faults.setRandom(ms > 0 ? { rate: 1, kinds: ['latency'], latencyMs: ms } : undefined),
    close: () => sandbox.close(),
  };
}

describeSourceContract({ source: 'fullsession', startSandbox: startFullSessionContractSandbox });
