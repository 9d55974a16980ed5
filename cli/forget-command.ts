import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import type { ErasureKey } from '../erasure/erasure-key.js';
import { forgetPerson, type ForgetReport } from '../erasure/forget-person.js';
import { PERSON_ERASURES } from '../sources/person-erasures.js';
import { formatTime } from './format.js';
import type { Print } from './print.js';
import { UsageError } from './usage-error.js';

export interface ForgetOptions {
  account: string;
  email?: string;
  userId?: string;
  dryRun: boolean;
  json: boolean;
}

/**
 * `session-sync forget --account A (--email E | --user-id ID) [--dry-run] [--json]`:
 * deletes every record of one person from the account's copy and keeps
 * them out of every later load (erasure/forget-person.ts).
 */
export async function forgetCommand(config: Config, db: Kysely<Database>, key: ErasureKey, options: ForgetOptions, print: Print): Promise<ForgetReport> {
  const source = sourceOfAccount(config, options.account);
  const requestedBy = options.email !== undefined ? 'email' : 'user-id';
  const value = options.email ?? options.userId!;
  const report = await forgetPerson(db, key, PERSON_ERASURES[source]!, { customerId: options.account, source, requestedBy, value, dryRun: options.dryRun });
  if (options.json) {
    print(JSON.stringify({ dryRun: options.dryRun, erasureId: report.erasureId, account: options.account, source, requestedBy, identities: report.identities, rows: report.rows }, null, 2));
    return report;
  }
  const total = Object.values(report.rows).reduce((sum, rows) => sum + rows, 0);
  const lines = [
    options.dryRun
      ? `dry run: one person of ${source} account ${options.account}, by ${requestedBy}: ${report.identities} identities found; nothing deleted, nothing suppressed`
      : `forgot one person of ${source} account ${options.account}, by ${requestedBy}: ${report.identities} identities found, suppressed from every later load (erasure ${report.erasureId})`,
    ...Object.entries(report.rows).map(([table, rows]) => `  ${table.padEnd(24)} ${rows.toLocaleString('en').padStart(12)} ${table === 'mcp_audit' ? "MCP calls' arguments redacted" : `rows ${options.dryRun ? 'would be deleted' : 'deleted'}`}`),
  ];
  if (!options.dryRun) lines.push(`${total.toLocaleString('en')} rows in all. Erase them at the source too: until then it still sends them, and every load drops them (counted as suppressed).`);
  print(lines.join('\n'));
  return report;
}

/** The source of a configured account; every site of an account has the same. */
function sourceOfAccount(config: Config, account: string): string {
  const sources = [...new Set(config.sites.sites.filter((site) => site.customerId === account).map((site) => site.source))];
  if (sources.length === 0) {
    const known = [...new Set(config.sites.sites.map((site) => site.customerId))].join(', ');
    throw new UsageError(`no account "${account}" in the config; its accounts are: ${known || 'none'}`);
  }
  if (sources.length > 1) throw new UsageError(`account "${account}" is configured for ${sources.join(' and ')}: erase it with a config that lists one`);
  return sources[0]!;
}

/** `session-sync forget --list [--json]`: every erasure, newest first: when, which account, by which kind of identity, rows by table; never who. */
export async function listErasuresCommand(db: Kysely<Database>, options: { json: boolean }, print: Print): Promise<void> {
  const erasures = await db.selectFrom('erasures').selectAll().orderBy('id', 'desc').execute();
  if (options.json) {
    print(JSON.stringify(erasures.map((row) => ({ id: row.id, account: row.customer_id, source: row.source, requestedBy: row.requested_by, identities: row.identities, rows: row.rows_deleted, startedAt: row.started_at.toISOString(), finishedAt: row.finished_at?.toISOString() ?? null })), null, 2));
    return;
  }
  if (erasures.length === 0) {
    print('no erasures yet');
    return;
  }
  for (const row of erasures) {
    const state = row.finished_at ? `finished ${formatTime(row.finished_at.getTime())}` : 'UNFINISHED: run the same forget again to complete it';
    const rows = Object.entries(row.rows_deleted).map(([table, count]) => `${table} ${count.toLocaleString('en')}`).join(', ');
    print(`erasure ${row.id}  ${formatTime(row.started_at.getTime())}  ${row.source} account ${row.customer_id}  by ${row.requested_by}  ${row.identities} identities  ${state}\n  rows deleted: ${rows || 'none yet'}`);
  }
}
