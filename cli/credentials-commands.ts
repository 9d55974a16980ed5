import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import { resolveSecret } from '../config/resolve-secret.js';
import { describeSecretSource } from '../config/site-config.js';
import { listChecks, type CheckRow } from '../db/credential-checks-repository.js';
import type { Database } from '../db/database.js';
import { checkCredentials, type CheckFilter, type SiteCheck } from '../operations/check-credentials.js';
import { formatTable, formatTime } from './format.js';
import { findSite } from './find-site.js';
import type { Print } from './print.js';
import { UsageError } from './usage-error.js';

type Env = Record<string, string | undefined>;

export interface CredentialListing {
  name: string;
  description: string;
  kind: string;
  source: string;
  key: string | null;
  keyProblem: string | null;
  keyWarning: string | null;
  sites: string[];
  /** `report`: what an ok check learned of the key (owner, level), when its source says. */
  lastCheck: { outcome: string; at: number; site: string; report: string | null } | null;
}

/**
 * `session-sync credentials list`: every named credential with its key
 * obfuscated (`fus_****abc`), the sites it serves and its last check. The
 * worst outcome across its sites is shown, so one failing site is not hidden
 * behind an ok.
 */
export async function listCredentialsCommand(config: Config, db: Kysely<Database>, env: Env, print: Print): Promise<CredentialListing[]> {
  const checks = await listChecks(db);
  const listings = config.sites.credentials.map((credential): CredentialListing => {
    const resolved = resolveSecret(credential, env);
    return {
      name: credential.name,
      description: credential.description,
      kind: credential.kind,
      source: describeSecretSource(credential.source),
      key: resolved.ok ? resolved.secret.obfuscated : null,
      keyProblem: resolved.ok ? null : resolved.problem,
      keyWarning: resolved.ok ? resolved.warning : null,
      sites: config.sites.sites.filter((site) => site.credentialName === credential.name).map((site) => `${site.customerId}/${site.siteId}`),
      lastCheck: worstCheck(checks.filter((check) => check.credential_name === credential.name)),
    };
  });
  print(
    formatTable(
      ['NAME', 'KIND', 'KEY', 'SOURCE', 'SITES', 'LAST CHECK', 'DESCRIPTION'],
      listings.map((listing) => [
        listing.name,
        listing.kind,
        listing.key ?? 'MISSING',
        listing.source,
        listing.sites.join(',') || '-',
        listing.lastCheck ? `${listing.lastCheck.outcome}${listing.lastCheck.outcome === 'ok' ? (listing.lastCheck.report ? ` (${listing.lastCheck.report})` : '') : ` (${listing.lastCheck.site})`} at ${formatTime(listing.lastCheck.at)}` : 'never',
        listing.description,
      ]),
    ),
  );
  for (const listing of listings) {
    if (listing.keyProblem) print(`problem: ${listing.keyProblem}`);
    if (listing.keyWarning) print(`warning: ${listing.keyWarning}`);
  }
  return listings;
}

function worstCheck(checks: CheckRow[]): CredentialListing['lastCheck'] {
  if (checks.length === 0) return null;
  const failing = checks.filter((check) => check.outcome !== 'ok');
  const shown = (failing.length > 0 ? failing : checks).reduce((latest, check) => (check.checked_at > latest.checked_at ? check : latest));
  // An ok check's message is 'ok', then what the source learned: the key's owner and level.
  const report = shown.outcome === 'ok' ? shown.message.replace(/^ok(; )?/, '') || null : null;
  return { outcome: shown.outcome, at: shown.checked_at.getTime(), site: `${shown.customer_id}/${shown.site_id}`, report };
}

/** `session-sync check`: one cheap request per credential and site; true when all are ok. */
export async function checkCommand(config: Config, db: Kysely<Database>, env: Env, filter: CheckFilter, print: Print): Promise<SiteCheck[]> {
  for (const credential of config.sites.credentials) {
    const resolved = resolveSecret(credential, env);
    if (resolved.ok && resolved.warning) print(`warning: ${resolved.warning}`);
  }
  // A name that matches nothing is a mistake: say what there is.
  if (filter.site) findSite(config.sites, filter.site);
  if (filter.credential && !config.sites.credentials.some((credential) => credential.name === filter.credential)) {
    throw new UsageError(`credential "${filter.credential}" is not configured (${config.sites.source ?? 'the environment'} has: ${config.sites.credentials.map((credential) => credential.name).join(', ')})`);
  }
  const checks = await checkCredentials({ db, config, env }, { ...filter, ...(filter.site ? { site: findSite(config.sites, filter.site).siteId } : {}) });
  if (checks.length === 0) print(`nothing to check: credential ${filter.credential} serves no site${filter.site ? ` named ${filter.site}` : ''}`);
  for (const check of checks) {
    print(checkLine(check));
    if (check.warning) print(`warning: ${check.customerId}/${check.siteId} with credential ${check.credentialName}${check.obfuscatedKey ? ` (${check.obfuscatedKey})` : ''}: ${check.warning}`);
  }
  if (checks.some((check) => !check.recorded)) print('warning: the database role may not write credential_checks, so `credentials list` and `status` will not show these results');
  return checks;
}

export function checkLine(check: SiteCheck): string {
  const label = check.outcome === 'ok' ? 'ok  ' : 'FAIL';
  const key = check.obfuscatedKey ? ` (${check.obfuscatedKey})` : '';
  const detail = check.outcome === 'ok' ? '' : `: ${check.outcome}: ${check.message}`;
  return `${label} ${check.customerId}/${check.siteId} with credential ${check.credentialName}${key}${detail}`;
}
