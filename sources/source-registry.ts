import type { ErasureKey } from '../erasure/erasure-key.js';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Secret } from '../config/secret.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import { DEFAULT_SOURCE } from '../workflows/stream-key.js';
import type { SiteRef } from '../workflows/sync-contract.js';
import type { SiteConfig } from '../config/site-config.js';
import { FullSessionSource } from './fullsession/fullsession-source.js';
import { FullStorySource } from './fullstory/fullstory-source.js';
import type { SyncSource } from './sync-source.js';
import { DEFAULT_PARTITION_SPAN, type PartitionSpan } from '../db/partition-spans.js';
import type { PartitionSite } from '../db/site-partitions.js';

/** Every source a worker or a command can use, by name. */
export class SourceRegistry {
  private readonly byName: ReadonlyMap<string, SyncSource>;

  constructor(sources: readonly SyncSource[]) {
    this.byName = new Map(sources.map((source) => [source.name, source]));
  }

  /** The source that reads `site`. */
  forSite(site: Pick<SiteRef, 'source'>): SyncSource {
    const name = site.source ?? DEFAULT_SOURCE;
    const source = this.byName.get(name);
    if (!source) throw new Error(`no source named ${name} (known: ${[...this.byName.keys()].join(', ')})`);
    return source;
  }
}

export interface SourceDeps {
  config: Pick<Config, 'sources' | 'sites'>;
  /** Credential name to key: secrets are resolved here, inside the process, never passed through Temporal. */
  credentials: ReadonlyMap<string, Secret>;
  db: Kysely<Database>;
  metrics?: SyncMetrics;
  log?: Logger;
  /** The key erased people's identities are hashed with (ERASURE_HASH_KEY): loads of an account with a suppression list need it. */
  erasureKey?: ErasureKey;
}

/**
 * Builds every source from the configuration: the one place that knows
 * which vendors exist.
 *
 * @example const sources = createSources({ config, credentials, db, metrics, log })
 */
export function createSources(deps: SourceDeps): SourceRegistry {
  const { sources: settings, sites } = deps.config;
  return new SourceRegistry([
    new FullSessionSource({ ...settings.fullsession, ratesPerMinute: ratesOf(sites.sites, 'fullsession'), partitionSpanOf: partitionSpans(sites.sites, 'fullsession'), erasureKey: deps.erasureKey }, deps.credentials, deps.db, deps.metrics, deps.log),
    new FullStorySource({ ...settings.fullstory, ratesPerMinute: ratesOf(sites.sites, 'fullstory'), partitionSpanOf: partitionSpans(sites.sites, 'fullstory'), erasureKey: deps.erasureKey }, deps.credentials, deps.db, deps.metrics, deps.log),
  ]);
}

/** Each configured site's partition span, looked up by site; the default for a site the config does not list. */
function partitionSpans(sites: readonly SiteConfig[], source: string): (site: PartitionSite) => PartitionSpan {
  const spans = new Map(sites.filter((site) => site.source === source).map((site) => [`${site.customerId}\u0000${site.siteId}`, site.sync.partitionSpan]));
  return (site) => spans.get(`${site.customerId}\u0000${site.siteId}`) ?? DEFAULT_PARTITION_SPAN;
}

/** The per-account request limits of one source's configured sites. */
function ratesOf(sites: readonly SiteConfig[], source: string): Map<string, number> {
  return new Map(sites.filter((site) => site.source === source).map((site) => [site.customerId, site.ratePerMinute]));
}
