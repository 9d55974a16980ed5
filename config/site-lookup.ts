import type { SiteConfig, SitesConfig } from './site-config.js';

/** The configured site a name picks, or why it picks none; each face words the refusal its own way. */
export type SiteLookup = { site: SiteConfig } | { problem: 'unknown' | 'ambiguous'; known: string[] };

/**
 * The configured site a person named: `site-a`, or `cust-1/site-a` when
 * two accounts share a site id.
 *
 * @example lookupSite(config.sites, 'cust-1/site-a') // { site: … }
 */
export function lookupSite(sites: SitesConfig, name: string): SiteLookup {
  const [customerId, siteId] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const matches = sites.sites.filter((site) => site.siteId === siteId && (!customerId || site.customerId === customerId));
  if (matches.length === 1) return { site: matches[0] as SiteConfig };
  const known = sites.sites.map((site) => `${site.customerId}/${site.siteId}`);
  return { problem: matches.length === 0 ? 'unknown' : 'ambiguous', known };
}
