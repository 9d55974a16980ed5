import type { SiteConfig, SitesConfig } from '../config/site-config.js';
import { UsageError } from './usage-error.js';

/**
 * The configured site an operator named: `site-a`, or `cust-1/site-a` when
 * two accounts share a site id.
 */
export function findSite(sites: SitesConfig, name: string): SiteConfig {
  const [customerId, siteId] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const matches = sites.sites.filter((site) => site.siteId === siteId && (!customerId || site.customerId === customerId));
  if (matches.length === 1) return matches[0] as SiteConfig;
  const known = sites.sites.map((site) => `${site.customerId}/${site.siteId}`).join(', ');
  if (matches.length === 0) throw new UsageError(`site "${name}" is not configured (${sites.source ?? 'FULLSESSION_SITE_IDS'} has: ${known})`);
  throw new UsageError(`site "${name}" exists in several accounts; name it as customer/site (one of: ${known})`);
}
