import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envSections } from './env-schema.js';
import { Secret } from './secret.js';

type Env = Record<string, string | undefined>;

export interface DatabaseConfig {
  url: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

export interface FullSessionConfig {
  apiUrl: string;
  customerId: string;
  siteIds: string[];
  ratePerMinute: number;
  requestTimeoutMs: number;
  /** Name under which activities look the token up; never the token itself. */
  credentialName: string;
}

export interface SyncSettings {
  windowMs: number;
  maxSessionDurationMs: number;
}

export interface WorkerSettings {
  shutdownGraceMs: number;
  maxConcurrentActivities: number;
  /** Pre-built workflow bundle (the container image ships one); absent means bundle at start. */
  workflowBundlePath: string | undefined;
}

export interface LoggingConfig {
  level: string;
  pretty: boolean;
}

export interface Config {
  database: DatabaseConfig;
  temporal: TemporalConfig;
  fullsession: FullSessionConfig;
  sync: SyncSettings;
  worker: WorkerSettings;
  logging: LoggingConfig;
}

/** The credential the single-site environment variables describe. */
export const ENV_CREDENTIAL_NAME = 'FULLSESSION_API_TOKEN';

export interface LoadOptions {
  /** The worker needs the API token; commands that only start workflows do not. */
  credentials?: boolean;
}

export interface LoadedConfig extends Config {
  /** Credential name to key; empty unless requested. */
  credentials: Map<string, Secret>;
}

/**
 * Validates the whole environment at once and throws a ConfigError naming
 * every problem, so an operator fixes them in one pass.
 *
 * @example const config = loadConfig(process.env, { credentials: true })
 */
export function loadConfig(env: Env, options: LoadOptions = {}): LoadedConfig {
  const problems: string[] = [];
  const credentials = options.credentials ? loadCredentials(env, problems) : new Map<string, Secret>();
  const section = <S extends z.ZodType>(schema: S): z.output<S> => {
    const result = schema.safeParse(env);
    if (result.success) return result.data;
    problems.push(...describeIssues(result.error));
    return undefined as z.output<S>;
  };
  const database = section(envSections.database);
  const temporal = section(envSections.temporal);
  const fullsession = section(envSections.fullsession);
  const sync = section(envSections.sync);
  const worker = section(envSections.worker);
  const logging = section(envSections.logging);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    credentials,
    database: { url: database.DATABASE_URL },
    temporal: {
      address: temporal.TEMPORAL_ADDRESS,
      namespace: temporal.TEMPORAL_NAMESPACE,
      taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    },
    fullsession: {
      apiUrl: fullsession.FULLSESSION_API_URL,
      customerId: fullsession.FULLSESSION_CUSTOMER_ID,
      siteIds: fullsession.FULLSESSION_SITE_IDS,
      ratePerMinute: fullsession.FULLSESSION_RATE_LIMIT_PER_MINUTE,
      requestTimeoutMs: fullsession.FULLSESSION_REQUEST_TIMEOUT,
      credentialName: ENV_CREDENTIAL_NAME,
    },
    sync: {
      windowMs: sync.SYNC_WINDOW,
      maxSessionDurationMs: sync.SYNC_MAX_SESSION_DURATION,
    },
    worker: {
      shutdownGraceMs: worker.WORKER_SHUTDOWN_GRACE,
      maxConcurrentActivities: worker.WORKER_MAX_CONCURRENT_ACTIVITIES,
      workflowBundlePath: worker.WORKFLOW_BUNDLE_PATH,
    },
    logging: toLoggingConfig(logging),
  };
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
    pretty: logging.LOG_PRETTY === 'auto' ? Boolean(process.stdout.isTTY) : logging.LOG_PRETTY === 'true',
  };
}

/** Validates only DATABASE_URL, for `session-sync migrate`. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const result = envSections.database.safeParse(env);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  return { url: result.data.DATABASE_URL };
}

/**
 * Reads the FullSession token from FULLSESSION_API_TOKEN or the file named by
 * FULLSESSION_API_TOKEN_FILE (exactly one of them).
 */
function loadCredentials(env: Env, problems: string[]): Map<string, Secret> {
  const inline = env.FULLSESSION_API_TOKEN?.trim();
  const file = env.FULLSESSION_API_TOKEN_FILE?.trim();
  if (inline && file) problems.push('set FULLSESSION_API_TOKEN or FULLSESSION_API_TOKEN_FILE, not both');
  if (!inline && !file) problems.push('FULLSESSION_API_TOKEN or FULLSESSION_API_TOKEN_FILE is required by the worker');
  const token = inline || (file ? readTokenFile(file, problems) : undefined);
  return token ? new Map([[ENV_CREDENTIAL_NAME, new Secret(token)]]) : new Map();
}

function readTokenFile(path: string, problems: string[]): string | undefined {
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (!token) problems.push(`FULLSESSION_API_TOKEN_FILE ${path} is empty`);
    return token || undefined;
  } catch (error) {
    problems.push(`FULLSESSION_API_TOKEN_FILE ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    return undefined;
  }
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
}
