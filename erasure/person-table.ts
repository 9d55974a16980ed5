import type { IdentityKind } from './identity.js';

/**
 * Where one table of a source keeps a person: the account column, and
 * each identity a row carries as a SQL expression over the row (emails in
 * lower case, as identities are compared). A table partitioned by site and
 * time names its site and time columns: it is erased one partition a
 * transaction, so no lock is held over a whole table.
 */
export interface PersonTable {
  table: 'fullstory_events' | 'fullstory_sessions' | 'fullstory_individuals' | 'fullstory_rejects' | 'fullsession_sessions' | 'fullsession_rejects';
  accountColumn: 'org_id' | 'customer_id';
  identities: ReadonlyArray<[kind: IdentityKind, expression: string]>;
  partitioned?: { siteColumn: string; timeColumn: string };
}

/** How a source's copy holds people: its tables, and which identities `--email` or `--user-id` start from. */
export interface PersonErasure {
  tables: readonly PersonTable[];
  seed(requestedBy: 'email' | 'user-id', value: string): Array<[IdentityKind, string]>;
}
