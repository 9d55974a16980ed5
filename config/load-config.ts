import type { z } from 'zod';
import { readConfigFile } from './config-file.js';
import { completenessProblems } from './completeness-rules.js';
import { retentionProblems } from './retention-rules.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_RATE_PER_MINUTE } from './defaults.js';
import { envSections } from './env-schema.js';
import { resolveSecret } from './resolve-secret.js';
import type { Secret } from './secret.js';
import type { SitesConfig } from './site-config.js';
import { sitesFromEnv } from './sites-from-env.js';
import { DatabaseUrlError, poolSettings } from '../db/database-url.js';
import { loadTemporalSettings, type TemporalConnectionSettings } from '../temporal/temporal-settings.js';
import { SOURCE_DEFINITIONS, type SourceSettings } from '../sources/source-definitions.js';

export { ENV_CREDENTIAL_NAME } from './sites-from-env.js';

type Env = Record<string, string | undefined>;

export interface DatabaseConfig {
  url: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Address, namespace, TLS and API key as Temporal's CLI reads them; connect with temporal/connect-temporal.ts. */
  connection: TemporalConnectionSettings;
  /** The Worker Deployment version this worker polls as (Temporal Worker Controller); unversioned when absent. */
  deploymentVersion: { deploymentName: string; buildId: string } | undefined;
}

export interface WorkerSettings {
  shutdownGraceMs: number;
  maxConcurrentActivities: number;
  /** How long a workflow cached on a dead worker waits before another worker takes it over. */
  stickyQueueTimeoutMs: number;
  /** How often the worker closes runs Temporal ended without them recording it (worker/abandoned-run-check.ts). */
  abandonedRunCheckMs: number;
  /**
   * Where workflow code runs: 'main' (the event loop the activities share) or
   * 'own' (a worker thread with its own V8 heap, about 30 MB more at idle).
   */
  workflowThread: 'main' | 'own';
  /** Port of /metrics, /healthz and /readyz; 0 turns the server off. Temporal's core metrics use the next port on 127.0.0.1. */
  metricsPort: number;
  metricsHost: string;
  /** Host names the metrics port answers besides addresses and localhost. */
  metricsAllowedHosts: string[];
  /** Pre-built workflow bundle (the container image ships one); absent means bundle at start. */
  workflowBundlePath: string | undefined;
}

export interface LoggingConfig {
  level: string;
  /** 'auto': pretty when the log's stream is a terminal (createLogger knows which stream). */
  pretty: boolean | 'auto';
}

export interface Config {
  database: DatabaseConfig;
  temporal: TemporalConfig;
  /** Each source's settings, validated by its own schema (sources/<vendor>/*-definition.ts). */
  sources: SourceSettings;
  sites: SitesConfig;
  worker: WorkerSettings;
  logging: LoggingConfig;
}

export interface LoadOptions {
  /** The worker needs every site's key; commands that only start workflows do not. */
  credentials?: boolean;
}

export interface LoadedConfig extends Config {
  /** Credential name to key; empty unless requested. */
  credentials: Map<string, Secret>;
  /** What works but should be fixed (a key file everyone can read); the worker logs them at start-up. */
  warnings: string[];
}

/**
 * Validates the whole environment at once and throws a ConfigError naming
 * every problem, so an operator fixes them in one pass.
 *
 * @example const config = loadConfig(process.env, { credentials: true })
 */
export function loadConfig(env: Env, options: LoadOptions = {}): LoadedConfig {
  const problems: string[] = [];
  const section = <S extends z.ZodType>(schema: S): z.output<S> => {
    const result = schema.safeParse(env);
    if (result.success) return result.data;
    problems.push(...describeIssues(result.error));
    return undefined as z.output<S>;
  };
  const database = section(envSections.database);
  if (database) databaseUrlProblem(database.DATABASE_URL, problems);
  const temporal = section(envSections.temporal);
  const temporalConnection = loadTemporalSettings(env, problems);
  if (temporal && (temporal.TEMPORAL_DEPLOYMENT_NAME === undefined) !== (temporal.TEMPORAL_WORKER_BUILD_ID === undefined)) {
    problems.push('TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_WORKER_BUILD_ID go together (the Temporal Worker Controller sets both): set both or neither');
  }
  const sources = Object.fromEntries(SOURCE_DEFINITIONS.map((definition) => [definition.name, section(definition.settings)])) as SourceSettings;
  const worker = section(envSections.worker);
  const logging = section(envSections.logging);
  // Each source's own default budget for accounts that set none (FullSession documents 20 a minute; FullStory publishes none).
  const defaultRateOf = (source: string) => (sources as Record<string, { ratePerMinute: number } | undefined>)[source]?.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE;
  const sites = loadSites(env, defaultRateOf, section, problems);
  const warnings: string[] = [];
  const credentials = options.credentials && sites ? loadSecrets(sites, env, problems, warnings) : new Map<string, Secret>();
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    credentials,
    warnings,
    database: { url: database.DATABASE_URL },
    temporal: {
      address: temporalConnection!.address,
      namespace: temporalConnection!.namespace,
      taskQueue: temporal.TEMPORAL_TASK_QUEUE,
      connection: temporalConnection!,
      deploymentVersion: deploymentVersionOf(temporal),
    },
    sources,
    sites: sites as SitesConfig,
    worker: {
      shutdownGraceMs: worker.WORKER_SHUTDOWN_GRACE,
      maxConcurrentActivities: worker.WORKER_MAX_CONCURRENT_ACTIVITIES,
      stickyQueueTimeoutMs: worker.WORKER_STICKY_QUEUE_TIMEOUT,
      abandonedRunCheckMs: worker.WORKER_ABANDONED_RUN_CHECK,
      workflowThread: worker.WORKER_WORKFLOW_THREAD,
      metricsPort: worker.METRICS_PORT,
      metricsHost: worker.METRICS_HOST,
      metricsAllowedHosts: worker.METRICS_ALLOWED_HOSTS,
      workflowBundlePath: worker.WORKFLOW_BUNDLE_PATH,
    },
    logging: toLoggingConfig(logging),
  };
}

function deploymentVersionOf(temporal: z.output<typeof envSections.temporal>): TemporalConfig['deploymentVersion'] {
  const { TEMPORAL_DEPLOYMENT_NAME: deploymentName, TEMPORAL_WORKER_BUILD_ID: buildId } = temporal;
  return deploymentName !== undefined && buildId !== undefined ? { deploymentName, buildId } : undefined;
}

/** Sites come from the config file when SESSION_SYNC_CONFIG is set, else from FULLSESSION_* variables. */
function loadSites(
  env: Env,
  defaultRateOf: (source: string) => number,
  section: <S extends z.ZodType>(schema: S) => z.output<S>,
  problems: string[],
): SitesConfig | undefined {
  const file = env.SESSION_SYNC_CONFIG?.trim();
  if (!file) {
    const account = section(envSections.singleAccount);
    const sites = account ? sitesFromEnv(env, account, defaultRateOf('fullsession'), problems) : undefined;
    if (sites) problems.push(...completenessProblems(sites.sites, (site) => `site ${site.customerId}/${site.siteId} (SYNC_* variables)`));
    return sites;
  }
  const conflicting = ['FULLSESSION_CUSTOMER_ID', 'FULLSESSION_SITE_IDS', 'FULLSESSION_API_TOKEN', 'FULLSESSION_API_TOKEN_FILE'].filter((name) => env[name]?.trim());
  if (conflicting.length > 0) problems.push(`SESSION_SYNC_CONFIG is set, so ${conflicting.join(', ')} would be ignored; remove them or the config file`);
  try {
    const sites = readConfigFile(file, defaultRateOf);
    problems.push(...completenessProblems(sites.sites, (site) => `${file} accounts.${site.customerId}.sites.${site.siteId}`));
    problems.push(...retentionProblems(sites.sites, (site) => `${file} accounts.${site.customerId}.sites.${site.siteId}`));
    return sites;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** Resolves the key of every credential a site uses; each missing one is a problem. */
function loadSecrets(sites: SitesConfig, env: Env, problems: string[], warnings: string[]): Map<string, Secret> {
  const used = new Set(sites.sites.map((site) => site.credentialName));
  const secrets = new Map<string, Secret>();
  for (const credential of sites.credentials.filter((c) => used.has(c.name))) {
    const resolved = resolveSecret(credential, env);
    if (resolved.ok) secrets.set(credential.name, resolved.secret);
    if (resolved.ok && resolved.warning) warnings.push(resolved.warning);
    if (!resolved.ok) problems.push(`${resolved.problem} (the worker needs it for ${sitesOf(sites, credential.name).join(', ')})`);
  }
  return secrets;
}

function sitesOf(sites: SitesConfig, credentialName: string): string[] {
  return sites.sites.filter((site) => site.credentialName === credentialName).map((site) => `${site.customerId}/${site.siteId}`);
}

/** Validates only LOG_LEVEL and LOG_PRETTY: the CLI needs a logger before anything else. */
export function loadLoggingConfig(env: Env): LoggingConfig {
  const result = envSections.logging.safeParse(env);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  return toLoggingConfig(result.data);
}

function toLoggingConfig(logging: z.output<typeof envSections.logging>): LoggingConfig {
  return {
    level: logging.LOG_LEVEL,
    pretty: logging.LOG_PRETTY === 'auto' ? 'auto' : logging.LOG_PRETTY === 'true',
  };
}

/** Validates only DATABASE_URL, for `session-sync migrate`. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const result = envSections.database.safeParse(env);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  const problems: string[] = [];
  databaseUrlProblem(result.data.DATABASE_URL, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { url: result.data.DATABASE_URL };
}

/** DATABASE_URL's TLS parameters are judged at start-up, with the rest: an unreadable sslrootcert is a config problem. */
function databaseUrlProblem(url: string, problems: string[]): void {
  try {
    poolSettings(url);
  } catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error;
    problems.push(error.message);
  }
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const [name, item] = issue.path;
    return `${String(name)}${typeof item === 'number' ? ` item ${item + 1}` : ''} ${issue.message}`;
  });
}
