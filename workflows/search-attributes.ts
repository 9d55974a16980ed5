import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { RunKind, SiteRef } from './sync-contract.js';

/**
 * Search attributes on every session-sync workflow, so the Temporal UI and
 * `session-sync status` can filter by site and kind, e.g.
 * `SessionSyncSite = "site-a" AND SessionSyncKind = "backfill"`.
 * They must be registered on the namespace (see cli/ensure-search-attributes.ts).
 */
export const SITE_ATTRIBUTE = defineSearchAttributeKey('SessionSyncSite', SearchAttributeType.KEYWORD);
export const CUSTOMER_ATTRIBUTE = defineSearchAttributeKey('SessionSyncCustomer', SearchAttributeType.KEYWORD);
export const KIND_ATTRIBUTE = defineSearchAttributeKey('SessionSyncKind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SITE_ATTRIBUTE, CUSTOMER_ATTRIBUTE, KIND_ATTRIBUTE];

export function syncSearchAttributes(site: Pick<SiteRef, 'customerId' | 'siteId'>, kind: RunKind): SearchAttributePair[] {
  return [
    { key: SITE_ATTRIBUTE, value: site.siteId },
    { key: CUSTOMER_ATTRIBUTE, value: site.customerId },
    { key: KIND_ATTRIBUTE, value: kind },
  ];
}

/** The memo shown in the Temporal UI: what the run covers, in words. */
export function syncMemo(site: Pick<SiteRef, 'customerId' | 'siteId'>, kind: RunKind, range?: { from: number; to: number }): Record<string, string> {
  return {
    site: `${site.customerId}/${site.siteId}`,
    kind,
    ...(range ? { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() } : {}),
  };
}
