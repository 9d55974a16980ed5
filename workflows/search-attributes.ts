import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { RunKind, SiteRef } from './sync-contract.js';

type SiteIdentity = Pick<SiteRef, 'source' | 'customerId' | 'siteId'>;

/**
 * Search attributes on every session-sync workflow, so the Temporal UI and
 * `session-sync status` can filter by source, site and kind, e.g.
 * `SessionSyncSource = "fullsession" AND SessionSyncSite = "site-a" AND SessionSyncKind = "backfill"`.
 * They must be registered on the namespace (see temporal/ensure-search-attributes.ts).
 */
export const SOURCE_ATTRIBUTE = defineSearchAttributeKey('SessionSyncSource', SearchAttributeType.KEYWORD);
export const SITE_ATTRIBUTE = defineSearchAttributeKey('SessionSyncSite', SearchAttributeType.KEYWORD);
export const CUSTOMER_ATTRIBUTE = defineSearchAttributeKey('SessionSyncCustomer', SearchAttributeType.KEYWORD);
export const KIND_ATTRIBUTE = defineSearchAttributeKey('SessionSyncKind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SOURCE_ATTRIBUTE, SITE_ATTRIBUTE, CUSTOMER_ATTRIBUTE, KIND_ATTRIBUTE];

/**
 * A site reference without a source comes from a history recorded before
 * sources had names: it gets exactly the attributes and memo it got then, so
 * the workflow that started a child with them replays the same.
 */
export function syncSearchAttributes(site: SiteIdentity, kind: RunKind): SearchAttributePair[] {
  return [
    ...(site.source === undefined ? [] : [{ key: SOURCE_ATTRIBUTE, value: site.source }]),
    { key: SITE_ATTRIBUTE, value: site.siteId },
    { key: CUSTOMER_ATTRIBUTE, value: site.customerId },
    { key: KIND_ATTRIBUTE, value: kind },
  ];
}

/** The memo shown in the Temporal UI: what the run covers, in words. */
export function syncMemo(site: SiteIdentity, kind: RunKind, range?: { from: number; to: number }): Record<string, string> {
  return {
    ...(site.source === undefined ? {} : { source: site.source }),
    site: `${site.customerId}/${site.siteId}`,
    kind,
    ...(range ? { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() } : {}),
  };
}
