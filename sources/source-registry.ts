import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Secret } from '../config/secret.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import { DEFAULT_SOURCE } from '../workflows/stream-key.js';
import type { SiteRef } from '../workflows/sync-contract.js';
import { FullSessionSource, ratesPerMinute } from './fullsession/fullsession-source.js';
import type { SyncSource } from './sync-source.js';

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
}

/**
 * Builds every source from the configuration: the one place that knows
 * which vendors exist.
 *
 * @example const sources = createSources({ config, credentials, db, metrics, log })
 */
export function createSources(deps: SourceDeps): SourceRegistry {
  const fullsession = new FullSessionSource({ ...deps.config.sources.fullsession, ratesPerMinute: ratesPerMinute(deps.config.sites.sites) }, deps.credentials, deps.db, deps.metrics, deps.log);
  return new SourceRegistry([fullsession]);
}
