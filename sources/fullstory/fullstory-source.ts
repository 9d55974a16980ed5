import type { Kysely, Transaction } from 'kysely';
import type { Secret } from '../../config/secret.js';
import type { Database } from '../../db/database.js';
import type { ErasureKey } from '../../erasure/erasure-key.js';
import { suppressionsFor } from '../../erasure/suppression-list.js';
import type { Logger } from '../../logging/logger.js';
import { SyncMetrics } from '../../metrics/sync-metrics.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import type { SiteRef, SyncWindow } from '../../workflows/sync-contract.js';
import type { PartitionSpan } from '../../db/partition-spans.js';
import { SitePartitions, type PartitionedTable, type PartitionSite } from '../../db/site-partitions.js';
import { partitionedTableOf } from '../partitioned-tables.js';
import { AccountBudgets } from '../http/account-budgets.js';
import { waitOutRateLimits } from '../http/wait-out-rate-limits.js';
import { credentialMissingError } from '../credential-missing.js';
import { SourceError } from '../source-error.js';
import type { CredentialReport, FetchedUnit, SyncSource, UnitRequest, UnitWrite } from '../sync-source.js';
import { countEvents, eventsByDay, replaceWindowEvents } from './events-table.js';
import { FullStoryClient, type ExportType } from './fullstory-client.js';
import { countIndividuals, upsertIndividuals } from './individuals-table.js';
import type { FullStorySettings } from './fullstory-definition.js';
import { dataCentreMismatch } from './fullstory-error.js';
import { apiBaseUrlFor, keyDataCentre, levelName, orgDataCentre } from './fullstory-key.js';
import { nextExportStep, type ExportCursor } from './export-steps.js';
import { withoutSuppressedLines } from './suppressed-lines.js';

export interface FullStorySourceSettings extends FullStorySettings {
  /** Each org's requests per minute. */
  ratesPerMinute: ReadonlyMap<string, number>;
  /** The partition span of a stream's events (its `sync.partition`). */
  partitionSpanOf(site: PartitionSite): PartitionSpan;
  /** The key of the suppression lists (erasure/erasure-key.ts); absent: an account with one cannot be loaded. */
  erasureKey?: ErasureKey;
}

const KEYS_PAGE = 'Settings > Integrations > API Keys';

/** The export behind each of an org's streams (fullstory-definition.ts lists them). */
function exportTypeOf(stream: string): ExportType {
  return stream === 'individuals' ? 'TYPE_INDIVIDUAL' : 'TYPE_EVENT';
}

/**
 * FullStory as a SyncSource: a window of an org's stream (`events` or
 * `individuals`) comes from one segment export, driven as named steps kept
 * in the window's cursor (start, poll, load; see export-steps.ts). A poll of
 * a pending export asks the workflow to wait on a durable timer. The load
 * streams the file into the stream's table inside the loop's transaction.
 */
export class FullStorySource implements SyncSource {
  readonly name = 'fullstory';
  private readonly budgets: AccountBudgets;
  private readonly partitions: SitePartitions;

  constructor(
    private readonly settings: FullStorySourceSettings,
    private readonly credentials: ReadonlyMap<string, Secret>,
    db: Kysely<Database>,
    metrics: SyncMetrics = new SyncMetrics(),
    log?: Logger,
  ) {
    this.budgets = new AccountBudgets(this.name, db, (orgId) => settings.ratesPerMinute.get(orgId) ?? settings.ratePerMinute, metrics, log);
    this.partitions = new SitePartitions(db);
  }

  async fetchUnit(request: UnitRequest): Promise<FetchedUnit> {
    const { site, window } = request;
    const client = this.client(site);
    const call = <T>(step: () => Promise<T>): Promise<T> => waitOutRateLimits(step, this.budgets.callOptions(site, request.onApiRequest));
    const step = await nextExportStep(request.cursor as ExportCursor | undefined, {
      createExport: () => call(() => client.createExport(exportTypeOf(site.siteId), window)),
      poll: (operationId) => call(() => client.operation(operationId)),
      locate: (searchExportId) => call(() => client.exportLocation(searchExportId)),
    });
    if (step.kind === 'load') {
      const target = { orgId: site.customerId, stream: site.siteId };
      const lines = () => client.downloadLines(step.location, request.signal);
      const table = partitionedTableOf(site);
      if (!table) return { nextCursor: undefined, received: 0, write: (trx, copyIn) => this.withoutErased(trx, target.orgId, lines, (open) => upsertIndividuals(trx, copyIn, target, open())) };
      const partition = await this.partitionFor(table, site, window);
      return { nextCursor: undefined, received: 0, write: (trx, copyIn) => this.withoutErased(trx, target.orgId, lines, (open) => replaceWindowEvents(trx, copyIn, target, window, open, { partition })) };
    }
    return { nextCursor: step.cursor, received: 0, jobStep: true, ...(step.kind === 'wait' ? { waitMs: this.settings.pollIntervalMs, jobPercent: step.percent } : {}), write: async () => ({ synced: 0, written: 0, rejectReasons: [] }) };
  }
  /**
   * Runs a load of an export file with the lines of erased people dropped
   * (the org's suppression list, read in the load's transaction), and
   * counts them. `open` may be called twice (a load falls back to staging
   * from a new download): each download counts afresh.
   */
  private async withoutErased(trx: Transaction<Database>, orgId: string, lines: () => AsyncIterable<string[]>, load: (open: () => AsyncIterable<string[]>) => Promise<UnitWrite>): Promise<UnitWrite> {
    const suppressions = await suppressionsFor(trx, orgId, this.settings.erasureKey);
    if (suppressions.isEmpty) return load(lines);
    const dropped = { suppressed: 0 };
    const written = await load(() => {
      dropped.suppressed = 0;
      return withoutSuppressedLines(lines(), suppressions, dropped);
    });
    return dropped.suppressed ? { ...written, suppressed: dropped.suppressed } : written;
  }


  /**
   * `GET /me`: the key works, belongs to the configured org, and may export
   * (Architect or higher). An Admin key passes with a warning.
   */
  async checkCredential(site: SiteRef): Promise<CredentialReport> {
    const owner = await this.client(site).me();
    const key = `credential ${site.credentialName} (${this.secret(site.credentialName).obfuscated})`;
    const level = levelName(owner.role);
    if (owner.orgId !== site.customerId) {
      throw new SourceError('credential_rejected', `${key} belongs to FullStory org ${owner.orgId}, not ${site.customerId}: use a key of org ${site.customerId}, or fix the account id in the config`, { reason: 'wrong_org' });
    }
    if (owner.role !== 'ARCHITECT' && owner.role !== 'ADMIN') {
      throw new SourceError('credential_rejected', `${key} is a ${level} key; exporting needs Architect or Admin. Create an Architect key in FullStory (${KEYS_PAGE}) and update the secret of ${site.credentialName}.`, { reason: 'forbidden' });
    }
    return {
      identity: owner.email || 'a legacy key without an owner',
      permission: level,
      ...(owner.role === 'ADMIN' ? { warning: `an Admin key: FullStory recommends the minimum level a tool needs, which is Architect (Admin can also change what FullStory captures). Create an Architect key (${KEYS_PAGE}) and update the secret of ${site.credentialName}.` } : {}),
    };
  }

  countStored(db: Kysely<Database>, stream: StreamKey): Promise<number> {
    if (exportTypeOf(stream.siteId) === 'TYPE_INDIVIDUAL') return countIndividuals(db, stream.customerId);
    return countEvents(db, { orgId: stream.customerId, stream: stream.siteId });
  }

  async recordsByDay(db: Kysely<Database>, stream: StreamKey, from: number, to: number): Promise<Map<number, number> | null> {
    if (exportTypeOf(stream.siteId) === 'TYPE_INDIVIDUAL') return null;
    return eventsByDay(db, { orgId: stream.customerId, stream: stream.siteId }, from, to);
  }

  /**
   * Makes sure the window's events have partitions before the load's
   * transaction begins; the one that alone holds the window, if one does.
   */
  private async partitionFor(table: PartitionedTable, site: SiteRef, window: SyncWindow): Promise<string | undefined> {
    await this.partitions.ensure(table, site, this.settings.partitionSpanOf(site), window);
    return this.partitions.holding(table, site, window);
  }

  /** A client for the site's key; a key of another data centre than the org's fails here, before any request. */
  private client(site: SiteRef): FullStoryClient {
    const key = this.secret(site.credentialName);
    const baseUrl = apiBaseUrlFor(key.reveal(), this.settings);
    const keyCentre = keyDataCentre(key.reveal());
    const orgCentre = orgDataCentre(site.customerId);
    if (keyCentre !== null && orgCentre !== null && keyCentre !== orgCentre) {
      throw dataCentreMismatch({ credentialName: site.credentialName, obfuscatedKey: key.obfuscated, apiOrigin: new URL(baseUrl).origin }, keyCentre, site.customerId, orgCentre);
    }
    return new FullStoryClient({
      baseUrl,
      credentialName: site.credentialName,
      key,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      maxResponseBytes: this.settings.maxResponseBytes,
      downloadIdleTimeoutMs: this.settings.downloadIdleTimeoutMs,
      rateGate: this.budgets.forAccount(site.customerId).gate,
    });
  }

  private secret(credentialName: string): Secret {
    const secret = this.credentials.get(credentialName);
    if (!secret) throw credentialMissingError(credentialName);
    return secret;
  }
}
