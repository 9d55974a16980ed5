import type { ErasureKey } from '../../erasure/erasure-key.js';
import type { Kysely } from 'kysely';
import { DEFAULT_RATE_PER_MINUTE } from '../../config/defaults.js';
import type { Secret } from '../../config/secret.js';
import type { Database } from '../../db/database.js';
import type { PartitionSpan } from '../../db/partition-spans.js';
import { FULLSESSION_SESSIONS_TABLE, SitePartitions, type PartitionSite } from '../../db/site-partitions.js';
import type { Logger } from '../../logging/logger.js';
import { SyncMetrics } from '../../metrics/sync-metrics.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import type { SiteRef } from '../../workflows/sync-contract.js';
import { windowQuery } from '../../workflows/windows.js';
import { AccountBudgets } from '../http/account-budgets.js';
import { waitOutRateLimits } from '../http/wait-out-rate-limits.js';
import type { CredentialReport, FetchedUnit, SyncSource, UnitRequest } from '../sync-source.js';
import { FullSessionClient } from './fullsession-client.js';
import type { FullSessionSettings } from './fullsession-definition.js';
import { credentialMissingError } from '../credential-missing.js';
import { pageUnit } from './page-unit.js';
import { countSessions, sessionsByDay } from './sessions-table.js';

export interface FullSessionSourceSettings extends FullSessionSettings {
  /** Each account's requests per minute (FullSession customer id → limit). */
  ratesPerMinute: ReadonlyMap<string, number>;
  /** The partition span of a site's sessions (its `sync.partition`). */
  partitionSpanOf(site: PartitionSite): PartitionSpan;
  /** The key of the suppression lists (erasure/erasure-key.ts); absent: an account with one cannot be loaded. */
  erasureKey?: ErasureKey;
}

/** A one-millisecond window: the cheapest request the API answers with real authorisation. */
export const PROBE_WINDOW_MS = 1;

/**
 * FullSession as a SyncSource: one page of `GET /v1/external/sessions` per
 * unit, its `startAfter` as the cursor. Resolves a site's credential name to
 * a ready client inside the worker: secrets come from the worker's
 * configuration, never from workflow input. Clients of one customer account
 * share one rate budget, in this process and through Postgres with every
 * other worker, because FullSession's limit is per account, not per token.
 */
export class FullSessionSource implements SyncSource {
  readonly name = 'fullsession';
  private readonly clients = new Map<string, FullSessionClient>();
  private readonly budgets: AccountBudgets;
  private readonly partitions: SitePartitions;

  constructor(
    private readonly settings: FullSessionSourceSettings,
    private readonly credentials: ReadonlyMap<string, Secret>,
    db: Kysely<Database>,
    metrics: SyncMetrics = new SyncMetrics(),
    log?: Logger,
  ) {
    this.budgets = new AccountBudgets(this.name, db, (customerId) => settings.ratesPerMinute.get(customerId) ?? DEFAULT_RATE_PER_MINUTE, metrics, log);
    this.partitions = new SitePartitions(db);
  }

  async fetchUnit(request: UnitRequest): Promise<FetchedUnit> {
    const { site, window } = request;
    const client = this.client(site);
    const query = windowQuery(window, request.lookbackMs);
    // The sessions a page may hold started within the query: their partitions exist before the page's transaction.
    await this.partitions.ensure(FULLSESSION_SESSIONS_TABLE, site, this.settings.partitionSpanOf(site), { start: query.startTime, end: query.endTime + 1 });
    const page = await waitOutRateLimits(
      () => client.fetchPage({ customerId: site.customerId, siteId: site.siteId, ...query, cursor: request.cursor, signal: request.signal }),
      this.budgets.callOptions(site, request.onApiRequest),
    );
    return pageUnit(site, window, page, query.startTime, this.settings.erasureKey);
  }

  /** FullSession has no identity endpoint: a one-millisecond page proves the token, its scope and the ids. */
  async checkCredential(site: SiteRef): Promise<CredentialReport> {
    const now = Date.now();
    await this.client(site).fetchPage({ customerId: site.customerId, siteId: site.siteId, startTime: now - PROBE_WINDOW_MS, endTime: now, cursor: undefined });
    return {};
  }

  async countStored(db: Kysely<Database>, stream: StreamKey): Promise<number> {
    return countSessions(db, stream);
  }

  recordsByDay(db: Kysely<Database>, stream: StreamKey, from: number, to: number): Promise<Map<number, number>> {
    return sessionsByDay(db, stream, from, to);
  }

  private client(site: SiteRef): FullSessionClient {
    const key = `${site.credentialName}\u0000${site.customerId}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new FullSessionClient({
        baseUrl: this.settings.apiUrl,
        credentialName: site.credentialName,
        token: this.secret(site.credentialName),
        requestTimeoutMs: this.settings.requestTimeoutMs,
        maxResponseBytes: this.settings.maxResponseBytes,
        rateGate: this.budgets.forAccount(site.customerId).gate,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  private secret(credentialName: string): Secret {
    const secret = this.credentials.get(credentialName);
    if (secret) return secret;
    throw credentialMissingError(credentialName);
  }
}
