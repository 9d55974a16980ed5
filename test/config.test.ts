import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { configProblems } from './support/config-problems.js';
import { tempDir } from './support/temp-dir.js';

const TOKEN = 'fus_configtest0123456789abcdef';
const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  FULLSESSION_CUSTOMER_ID: 'cust-1',
  FULLSESSION_SITE_IDS: 'site-a, site-b',
  FULLSESSION_API_TOKEN: TOKEN,
};

const problemsOf = (env: Record<string, string>, credentials = true) => configProblems(env, { credentials });

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid, { credentials: true });
    const { connection, ...temporal } = config.temporal;
    expect(temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'session-sync' });
    expect(connection.describe()).toBe('127.0.0.1:7233 (plaintext)');
    expect(config.sources.fullsession).toEqual({ apiUrl: 'https://app.fullsession.io', requestTimeoutMs: 30_000, maxResponseBytes: 16 * 1_048_576, ratePerMinute: 20 });
    expect(config.sites.credentials).toEqual([
      { name: 'FULLSESSION_API_TOKEN', description: 'from FULLSESSION_API_TOKEN / FULLSESSION_API_TOKEN_FILE', kind: 'fullsession-api-token', source: { env: 'FULLSESSION_API_TOKEN' } },
    ]);
    expect(config.sites.sites.map((site) => site.siteId)).toEqual(['site-a', 'site-b']);
    expect(config.sites.sites[0]).toEqual({
      source: 'fullsession',
      customerId: 'cust-1',
      siteId: 'site-a',
      credentialName: 'FULLSESSION_API_TOKEN',
      freshness: null,
      ratePerMinute: 20,
      schedule: { cron: '*/15 * * * *', timezone: 'UTC', jitterMs: 60_000, catchupWindowMs: 3_600_000, runTimeoutMs: 3_600_000 },
      sync: { windowMs: 86_400_000, backfillWindowMs: 90 * 86_400_000, maxSessionDurationMs: 14_400_000, settleDelayMs: 1_800_000, initialLookbackMs: 86_400_000, refreshTrailingMs: 0, freshReachBackMs: 1_800_000, sweepReachBackMs: 86_400_000, partitionSpan: '1d', retentionMs: null, retentionDetachOnly: false },
    });
    expect(config.worker).toEqual({ shutdownGraceMs: 30_000, maxConcurrentActivities: 8, stickyQueueTimeoutMs: 10_000, abandonedRunCheckMs: 300_000, workflowThread: 'main', metricsPort: 9464, metricsHost: '127.0.0.1', metricsAllowedHosts: [], workflowBundlePath: undefined });
  });

  it('names every problem at once', () => {
    expect(problemsOf({ FULLSESSION_RATE_LIMIT_PER_MINUTE: 'lots', SYNC_WINDOW: '1 week', FULLSESSION_API_URL: 'not a url', WORKER_WORKFLOW_THREAD: 'worker' })).toEqual([
      'DATABASE_URL is required',
      'TEMPORAL_ADDRESS is required',
      'FULLSESSION_API_URL must be a http(s) URL',
      'FULLSESSION_RATE_LIMIT_PER_MINUTE must be a number',
      'WORKER_WORKFLOW_THREAD must be "main" or "own"',
      'FULLSESSION_CUSTOMER_ID is required',
      'FULLSESSION_SITE_IDS is required',
      'SYNC_WINDOW expected a duration like 90s, 15m, 4h or 1d, got "1 week"',
    ]);
    expect(problemsOf({ ...valid, FULLSESSION_API_TOKEN: '' })).toEqual(['credential FULLSESSION_API_TOKEN: env FULLSESSION_API_TOKEN is not set (the worker needs it for cust-1/site-a, cust-1/site-b)']);
  });

  it('judges ids, URLs and sizes exactly as the config file does', () => {
    expect(problemsOf({ ...valid, FULLSESSION_CUSTOMER_ID: '../x', FULLSESSION_SITE_IDS: 'ok,a b', FULLSESSION_API_URL: 'file:///etc/passwd', DATABASE_URL: 'http://db', FULLSESSION_MAX_RESPONSE_SIZE: 'huge' })).toEqual([
      'DATABASE_URL must be a postgres:// URL',
      'FULLSESSION_API_URL must be a http(s) URL',
      'FULLSESSION_MAX_RESPONSE_SIZE expected a size of at least 1KiB like 16MiB or 500kB, got "huge"',
      'FULLSESSION_CUSTOMER_ID must start with a letter or digit and use only letters, digits, ".", "_" and "-"',
      'FULLSESSION_SITE_IDS item 2 must start with a letter or digit and use only letters, digits, ".", "_" and "-"',
    ]);
    expect(loadConfig({ ...valid, FULLSESSION_MAX_RESPONSE_SIZE: '500kB' }).sources.fullsession.maxResponseBytes).toBe(500_000);
  });

  it('refuses a token of two lines, naming the credential and not the token', () => {
    const problems = problemsOf({ ...valid, FULLSESSION_API_TOKEN: `${TOKEN}\nfus_previous0123456789abcdef` });
    expect(problems).toEqual(['credential FULLSESSION_API_TOKEN: env FULLSESSION_API_TOKEN holds 2 lines; a key is one line (keep only the current key) (the worker needs it for cust-1/site-a, cust-1/site-b)']);
  });

  it('reads the token from a file and rejects both sources at once', () => {
    const dir = tempDir('token-');
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const { FULLSESSION_API_TOKEN: _omit, ...withoutToken } = valid;
    const config = loadConfig({ ...withoutToken, FULLSESSION_API_TOKEN_FILE: join(dir, 'token') }, { credentials: true });
    expect(config.credentials.get('FULLSESSION_API_TOKEN')?.reveal()).toBe(TOKEN);
    expect(problemsOf({ ...valid, FULLSESSION_API_TOKEN_FILE: join(dir, 'token') })).toEqual(['set FULLSESSION_API_TOKEN or FULLSESSION_API_TOKEN_FILE, not both']);
    expect(problemsOf({ ...withoutToken, FULLSESSION_API_TOKEN_FILE: join(dir, 'missing') })).toEqual([
      `credential FULLSESSION_API_TOKEN: file ${join(dir, 'missing')} cannot be read: ENOENT (the worker needs it for cust-1/site-a, cust-1/site-b)`,
    ]);
  });

  it('only the worker needs the token', () => {
    const { FULLSESSION_API_TOKEN: _omit, ...withoutToken } = valid;
    expect(problemsOf(withoutToken, false)).toEqual([]);
  });

  it('never shows the token: JSON, inspect and string forms are obfuscated', () => {
    const config = loadConfig(valid, { credentials: true });
    const secret = config.credentials.get('FULLSESSION_API_TOKEN')!;
    const renderings = [JSON.stringify(config), JSON.stringify([...config.credentials]), inspect(config, { depth: 10 }), `${secret}`];
    for (const text of renderings) expect(text).not.toContain(TOKEN);
    expect(secret.obfuscated).toBe('fus_****def');
  });
});
