import type { SiteRef } from './sync-contract.js';

/**
 * A synced stream's identity, the same in every key, id, label and row:
 * which source, which account (FullSession's customer), which site (or the
 * source's equivalent).
 */
export interface StreamKey {
  source: string;
  customerId: string;
  siteId: string;
}

/** The source of a site whose reference names none: histories recorded before sources had names were all FullSession's. */
export const DEFAULT_SOURCE = 'fullsession';

/**
 * The identity of the stream a site reference reads.
 *
 * @example streamKeyOf({ customerId: 'c', siteId: 's' }) // { source: 'fullsession', customerId: 'c', siteId: 's' }
 */
export function streamKeyOf(site: Pick<SiteRef, 'source' | 'customerId' | 'siteId'>): StreamKey {
  return { source: site.source ?? DEFAULT_SOURCE, customerId: site.customerId, siteId: site.siteId };
}
