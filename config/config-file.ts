import { readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configFileSchema, type ConfigFile } from './config-file-schema.js';
import { closestName, settingNames } from './did-you-mean.js';
import { ConfigError } from './config-error.js';
import { parseDuration } from './duration.js';
import { DEFAULT_RATE_PER_MINUTE, SCHEDULE_DEFAULTS, SYNC_DEFAULTS } from './defaults.js';
import type { SiteConfig, SitesConfig } from './site-config.js';
import { definitionOf } from '../sources/source-definitions.js';
import { DEFAULT_PARTITION_SPAN } from '../db/partition-spans.js';

type Path = ReadonlyArray<PropertyKey>;

/**
 * Reads and validates the config file. Every problem is reported at once,
 * each with its line and its path in the file, e.g.
 * `sites.yaml:14 accounts.cust-1.sites.site-a.credential: unknown credential "acme"`.
 */
export function readConfigFile(path: string, defaultRateOf: (source: string) => number = () => DEFAULT_RATE_PER_MINUTE): SitesConfig {
  const text = readText(path);
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const name = path;
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => `${name}:${lines.linePos(error.pos[0]).line} ${error.message.split('\n')[0]}`));
  }
  const at = (where: Path) => `${name}:${lineOf(document, lines, where)} ${where.map(String).join('.') || '(top level)'}`;
  const parsed = configFileSchema.safeParse(toPlainValue(document, name), { reportInput: true });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((issue) => describeIssue(issue, at)));
  const problems = crossReferenceProblems(parsed.data, at);
  if (problems.length > 0) throw new ConfigError(problems);
  return toSitesConfig(parsed.data, path, defaultRateOf);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`SESSION_SYNC_CONFIG ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
}

/** Every setting name the file may use, for "did you mean". */
const KNOWN_SETTINGS = settingNames(configFileSchema);

/** A problem a line: an object with several unknown keys gives one each. */
function describeIssue(issue: z.core.$ZodIssue, at: (where: Path) => string): string | string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const suggestion = closestName(key, KNOWN_SETTINGS);
      return `${at([...issue.path, key])}: unknown setting "${key}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
    });
  }
  if (issue.code === 'invalid_key') return `${at(issue.path)}: ${issue.issues[0]?.message ?? issue.message}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${at(issue.path)}: ${issue.message.startsWith('is required') ? issue.message : 'is required'}`;
  // The value itself is not quoted: it may be a key pasted in the wrong place.
  if (issue.code === 'invalid_type') return `${at(issue.path)}: must be ${article(issue.expected)}, not ${article(jsonType(issue.input))}`;
  return `${at(issue.path)}: ${issue.message}`;
}

/**
 * The document as plain values. YAML aliases can repeat one node billions
 * of times (a "billion laughs" file): the yaml library refuses past 100
 * aliases, which is reported as a problem of the file, not a crash.
 */
function toPlainValue(document: Document, name: string): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([`${name}: ${(error as Error).message}; the file cannot be read safely`]);
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value === 'string' ? 'text' : typeof value;
}

function article(type: string): string {
  return ['text', 'null'].includes(type) ? type : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Sites must name a defined credential of a kind their account's source takes, and be one of its streams where it fixes them. */
function crossReferenceProblems(file: ConfigFile, at: (where: Path) => string): string[] {
  const defined = Object.keys(file.credentials);
  const problems: string[] = [];
  for (const [customerId, account] of Object.entries(file.accounts)) {
    const { credentialKinds: kinds, streams } = definitionOf(account.source);
    for (const [siteId, site] of Object.entries(account.sites)) {
      if (streams && !streams.includes(siteId)) problems.push(`${at(['accounts', customerId, 'sites', siteId])}: ${account.source} accounts have the streams ${streams.join(' and ')}, not "${siteId}"`);
      const where = at(['accounts', customerId, 'sites', siteId, 'credential']);
      const credential = file.credentials[site.credential];
      if (!credential) problems.push(`${where}: unknown credential "${site.credential}" (defined: ${defined.join(', ') || 'none'})`);
      else if (!kinds.includes(credential.kind)) problems.push(`${where}: credential "${site.credential}" is a ${credential.kind}; ${account.source} sites need one of: ${kinds.join(', ')}`);
    }
  }
  return problems;
}

/**
 * The line where the deepest existing key of `where` is written, so a
 * missing setting points at the entry that lacks it.
 */
function lineOf(document: Document, lines: LineCounter, where: Path): number | string {
  let line: number | string = '?';
  let node: unknown = document.contents;
  for (const segment of where) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    if (!pair) break;
    if (isNode(pair.key) && pair.key.range) line = lines.linePos(pair.key.range[0]).line;
    node = pair.value;
  }
  return line;
}

function toSitesConfig(file: ConfigFile, source: string, defaultRateOf: (source: string) => number): SitesConfig {
  const credentials = Object.entries(file.credentials).map(([name, credential]) => ({
    name,
    description: credential.description,
    kind: credential.kind,
    source: credential.secret.env !== undefined ? { env: credential.secret.env } : { file: credential.secret.file as string },
  }));
  const sites: SiteConfig[] = [];
  for (const [customerId, account] of Object.entries(file.accounts)) {
    for (const [siteId, site] of Object.entries(account.sites)) {
      const schedule = { ...file.defaults?.schedule, ...site.schedule };
      const sync = { ...file.defaults?.sync, ...site.sync };
      const freshness = site.freshness ?? file.defaults?.freshness;
      const windowMs = sync.window ?? ms(SYNC_DEFAULTS.window);
      sites.push({
        source: account.source,
        customerId,
        siteId,
        credentialName: site.credential,
        ratePerMinute: account.rateLimitPerMinute ?? defaultRateOf(account.source),
        schedule: {
          cron: schedule.cron ?? SCHEDULE_DEFAULTS.cron,
          timezone: schedule.timezone ?? SCHEDULE_DEFAULTS.timezone,
          jitterMs: schedule.jitter ?? ms(SCHEDULE_DEFAULTS.jitter),
          catchupWindowMs: schedule.catchupWindow ?? ms(SCHEDULE_DEFAULTS.catchupWindow),
          runTimeoutMs: schedule.runTimeout ?? ms(SCHEDULE_DEFAULTS.runTimeout),
        },
        sync: {
          windowMs,
          backfillWindowMs: sync.backfillWindow ?? backfillWindowDefault(account.source, windowMs),
          maxSessionDurationMs: sync.maxSessionDuration ?? ms(SYNC_DEFAULTS.maxSessionDuration),
          settleDelayMs: sync.settleDelay ?? ms(SYNC_DEFAULTS.settleDelay),
          initialLookbackMs: sync.initialLookback ?? ms(SYNC_DEFAULTS.initialLookback),
          refreshTrailingMs: sync.refreshTrailing ?? ms(definitionOf(account.source).defaultRefreshTrailing),
          freshReachBackMs: sync.freshReachBack ?? ms(SYNC_DEFAULTS.freshReachBack),
          sweepReachBackMs: sync.sweepReachBack ?? ms(definitionOf(account.source).defaultSweepReachBack ?? '0s'),
          partitionSpan: sync.partition ?? DEFAULT_PARTITION_SPAN,
          retentionMs: sync.retention ?? null,
          retentionDetachOnly: sync.retentionDetachOnly ?? false,
        },
        freshness: freshness ? { warnAfterMs: freshness.warnAfter, errorAfterMs: freshness.errorAfter } : null,
      });
    }
  }
  return { source, credentials, sites };
}

/** The source's own backfill window where its queries may span more than a window, else the site's window. */
function backfillWindowDefault(source: string, windowMs: number): number {
  const window = definitionOf(source).defaultBackfillWindow;
  return window === undefined ? windowMs : ms(window);
}

function ms(text: string): number {
  return parseDuration(text) as number;
}
