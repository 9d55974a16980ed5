import type { Kysely } from 'kysely';
import { createSources, type SourceRegistry } from '../sources/source-registry.js';
import type { Config } from '../config/load-config.js';
import { resolveSecret } from '../config/resolve-secret.js';
import { scrubSecrets, type Secret } from '../config/secret.js';
import type { SiteConfig } from '../config/site-config.js';
import { recordCheck } from '../db/credential-checks-repository.js';
import type { CheckOutcome, Database } from '../db/database.js';
import { SourceError } from '../sources/source-error.js';

type Env = Record<string, string | undefined>;

export interface SiteCheck {
  credentialName: string;
  obfuscatedKey: string | null;
  source: string;
  customerId: string;
  siteId: string;
  outcome: CheckOutcome;
  message: string;
  /** What an ok check still advises (an Admin key where Architect is enough). */
  warning?: string;
  /** False when the database role may not write the outcome (a read-only role): it is printed, not kept. */
  recorded: boolean;
}

export interface CheckFilter {
  credential?: string;
  site?: string;
}

/**
 * Proves each credential works for each of its sites with one cheap request
 * (its source's `checkCredential`, through the account's shared rate
 * budget) and records the outcome per site. Used by `session-sync check` and by the worker at start-up.
 */
export async function checkCredentials(
  deps: { db: Kysely<Database>; config: Pick<Config, 'sources' | 'sites'>; env: Env },
  filter: CheckFilter = {},
): Promise<SiteCheck[]> {
  const { sites } = deps.config;
  const selected = sites.sites.filter(
    (site) => (!filter.credential || site.credentialName === filter.credential) && (!filter.site || site.siteId === filter.site),
  );
  const secrets = new Map<string, Secret>();
  const missing = new Map<string, string>();
  for (const credential of sites.credentials) {
    const resolved = resolveSecret(credential, deps.env);
    if (resolved.ok) secrets.set(credential.name, resolved.secret);
    else missing.set(credential.name, resolved.problem);
  }
  const sources = createSources({ config: deps.config, credentials: secrets, db: deps.db });
  const checks: SiteCheck[] = [];
  for (const site of selected) {
    const check = await checkSite(site, sources, secrets.get(site.credentialName), missing.get(site.credentialName));
    checks.push({ ...check, recorded: await recordCheckIfAllowed(deps.db, check) });
  }
  return checks;
}

/** Postgres's SQLSTATE for "permission denied". */
const INSUFFICIENT_PRIVILEGE = '42501';

async function recordCheckIfAllowed(db: Kysely<Database>, check: Omit<SiteCheck, 'recorded'>): Promise<boolean> {
  try {
    await recordCheck(db, check);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return false;
    throw error;
  }
}

async function checkSite(site: SiteConfig, sources: SourceRegistry, secret: Secret | undefined, missing: string | undefined): Promise<Omit<SiteCheck, 'recorded'>> {
  const base = { credentialName: site.credentialName, obfuscatedKey: secret?.obfuscated ?? null, source: site.source, customerId: site.customerId, siteId: site.siteId };
  if (!secret) return { ...base, outcome: 'missing_secret', message: `${missing ?? 'no key'}; set it and run the check again` };
  try {
    const report = await sources.forSite(site).checkCredential({ source: site.source, customerId: site.customerId, siteId: site.siteId, credentialName: site.credentialName });
    return { ...base, outcome: 'ok', message: ['ok', report.identity, report.permission, report.scope, report.warning].filter(Boolean).join('; '), ...(report.warning ? { warning: report.warning } : {}) };
  } catch (error) {
    return { ...base, outcome: outcomeOf(error), message: scrubSecrets(error instanceof Error ? error.message : String(error)) };
  }
}

function outcomeOf(error: unknown): CheckOutcome {
  if (!(error instanceof SourceError) || !error.permanent) return 'unreachable';
  const { reason } = error.details;
  if (reason === 'forbidden' || reason === 'not_found') return reason;
  return error.kind === 'credential_rejected' ? 'unauthorized' : 'forbidden';
}
