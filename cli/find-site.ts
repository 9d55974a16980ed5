import type { SiteConfig, SitesConfig } from '../config/site-config.js';
import { lookupSite } from '../config/site-lookup.js';
import { UsageError } from './usage-error.js';

/** The configured site an operator named, or a usage error naming where the sites are configured. */
export function findSite(sites: SitesConfig, name: string): SiteConfig {
  const found = lookupSite(sites, name);
  if ('site' in found) return found.site;
  const known = found.known.join(', ');
  if (found.problem === 'unknown') throw new UsageError(`site "${name}" is not configured (${sites.source ?? 'FULLSESSION_SITE_IDS'} has: ${known})`);
  throw new UsageError(`site "${name}" exists in several accounts; name it as customer/site (one of: ${known})`);
}
