import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { configProblems } from './support/config-problems.js';
import { tempDir } from './support/temp-dir.js';

const EXAMPLE = fileURLToPath(new URL('../examples/session-sync.yaml', import.meta.url));
const baseEnv = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', TEMPORAL_ADDRESS: '127.0.0.1:7233' };

function writeConfig(text: string): string {
  const path = join(tempDir('config-file-'), 'sites.yaml');
  writeFileSync(path, text);
  return path;
}

const problemsOf = (env: Record<string, string>, credentials = false) => configProblems(env, { credentials });

describe('the config file', () => {
  it('reads the documented example (examples/session-sync.yaml): accounts, sites, named credentials, defaults and overrides', () => {
    const config = loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: EXAMPLE });
    expect(config.sites.credentials.map((c) => [c.name, c.source])).toEqual([
      ['acme-prod', { env: 'ACME_FULLSESSION_TOKEN' }],
      ['globex', { file: '/run/secrets/globex_fullsession_token' }],
      ['acme-fullstory', { env: 'ACME_FULLSTORY_KEY' }],
    ]);
    expect(config.sites.sites.map((s) => [s.customerId, s.siteId, s.credentialName, s.ratePerMinute, s.schedule.cron, s.schedule.timezone, s.sync.windowMs])).toEqual([
      ['cust-acme', 'marketing', 'acme-prod', 20, '*/15 * * * *', 'UTC', 86_400_000],
      ['cust-acme', 'app', 'acme-prod', 20, '0 * * * *', 'Europe/Berlin', 21_600_000],
      ['cust-globex', 'shop', 'globex', 20, '*/15 * * * *', 'UTC', 86_400_000],
      ['o-1G1-na1', 'events', 'acme-fullstory', 30, '*/15 * * * *', 'UTC', 21_600_000],
      ['o-1G1-na1', 'individuals', 'acme-fullstory', 30, '*/15 * * * *', 'UTC', 86_400_000],
    ]);
    expect(config.sites.sites[0]?.sync).toEqual({ windowMs: 86_400_000, backfillWindowMs: 90 * 86_400_000, maxSessionDurationMs: 14_400_000, settleDelayMs: 1_800_000, initialLookbackMs: 86_400_000, refreshTrailingMs: 0, freshReachBackMs: 1_800_000, sweepReachBackMs: 86_400_000, partitionSpan: '1d', retentionMs: null, retentionDetachOnly: false });
    expect(config.sites.sites[3]?.sync.refreshTrailingMs).toBe(86_400_000);
    // A FullStory backfill exports a window at a time, as its scheduled runs do.
    expect(config.sites.sites[3]?.sync.backfillWindowMs).toBe(21_600_000);
  });

  it('names every problem with its line and path', () => {
    const path = writeConfig(`credentials:
  acme:
    kind: fullstory-key
    secret: { env: ACME, file: /tmp/acme }
    colour: blue
accounts:
  cust-1:
    rateLimitPerMinute: -5
    sites:
      site-a:
        credential: acmee
        schedule: { cron: "every hour", timezone: Mars/Olympus, jitter: soon }
      site-b:
        sync: { window: 0s }
`);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([
      `${path}:3 credentials.acme.kind: must be one of: fullsession-api-token, fullstory-api-key`,
      `${path}:4 credentials.acme.secret: must name exactly one of env (an environment variable) or file (a path); the key itself never goes in this file`,
      `${path}:5 credentials.acme.colour: unknown setting "colour"`,
      `${path}:8 accounts.cust-1.rateLimitPerMinute: must be positive`,
      `${path}:12 accounts.cust-1.sites.site-a.schedule.cron: must be a five-field cron expression such as "*/15 * * * *"`,
      `${path}:12 accounts.cust-1.sites.site-a.schedule.timezone: must be an IANA time zone such as UTC or Europe/Berlin`,
      `${path}:12 accounts.cust-1.sites.site-a.schedule.jitter: expected a duration like 90s, 15m, 4h or 1d, got "soon"`,
      `${path}:13 accounts.cust-1.sites.site-b.credential: is required: the name of a credential under credentials`,
      `${path}:14 accounts.cust-1.sites.site-b.sync.window: expected a duration like 90s, 15m, 4h or 1d, got "0s"`,
    ]);
  });

  it('reports an unknown credential, YAML syntax errors and an unreadable file', () => {
    const unknown = writeConfig('credentials:\n  acme: { kind: fullsession-api-token, secret: { env: ACME } }\naccounts:\n  cust-1:\n    sites:\n      site-a: { credential: acmee }\n');
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: unknown })).toEqual([`${unknown}:6 accounts.cust-1.sites.site-a.credential: unknown credential "acmee" (defined: acme)`]);
    const broken = writeConfig('credentials:\n  acme: { kind: [\n');
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: broken })[0]).toMatch(new RegExp(`^${broken}:\\d+ `));
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: '/nonexistent/sites.yaml' })).toEqual(['SESSION_SYNC_CONFIG /nonexistent/sites.yaml cannot be read: ENOENT']);
  });

  it('checks cron with a real parser, types without quoting values, and keys pasted where a name belongs', () => {
    const key = 'fus_0123456789abcdefpasted';
    const path = writeConfig(`credentials:
  pasted: { kind: fullsession-api-token, secret: { env: ${key} } }
  pasted-file: { kind: fullsession-api-token, secret: { file: ${key} } }
  spaced: { kind: fullsession-api-token, secret: { env: "MY TOKEN" } }
accounts:
  cust-1:
    rateLimitPerMinute: "20"
    sites:
      site-a: { credential: pasted, schedule: { cron: "99 99 99 99 99" } }
      site-b: { credential: pasted-file, schedule: { cron: "0 0 30 2 *" } }
      site-c: { credential: spaced, schedule: { cron: "@every soon" } }
`);
    const problems = problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path });
    expect(problems).toEqual([
      `${path}:2 credentials.pasted.secret.env: looks like an API key, not the name of an environment variable: put the key in a variable or a file and name that here (the value is not repeated here)`,
      `${path}:3 credentials.pasted-file.secret.file: looks like an API key, not a path: put the key in a file and name that file here (the value is not repeated here)`,
      `${path}:4 credentials.spaced.secret.env: must be an environment variable name: letters, digits and "_", not starting with a digit`,
      `${path}:7 accounts.cust-1.rateLimitPerMinute: must be a number, not text`,
      `${path}:9 accounts.cust-1.sites.site-a.schedule.cron: "99 99 99 99 99" is not a valid cron expression: Invalid value for minute: 99`,
      `${path}:10 accounts.cust-1.sites.site-b.schedule.cron: "0 0 30 2 *" never fires`,
      `${path}:11 accounts.cust-1.sites.site-c.schedule.cron: "@every" needs a duration like 15m, got "soon"`,
    ]);
    expect(problems.join('\n')).not.toContain(key);
  });

  it('names each account\'s source (FullSession when absent) and refuses one it does not know', () => {
    const path = writeConfig(`credentials:
  main: { kind: fullsession-api-token, secret: { env: MAIN } }
accounts:
  cust-1:
    source: fullsession
    sites:
      site-a: { credential: main }
  org-1:
    source: heapster
    sites:
      site-b: { credential: main }
`);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([`${path}:9 accounts.org-1.source: must be one of: fullsession, fullstory`]);
    const mismatched = writeConfig('credentials:\n  main: { kind: fullsession-api-token, secret: { env: MAIN } }\naccounts:\n  o-1G1-na1:\n    source: fullstory\n    sites:\n      events: { credential: main }\n');
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: mismatched })).toEqual([
      `${mismatched}:7 accounts.o-1G1-na1.sites.events.credential: credential "main" is a fullsession-api-token; fullstory sites need one of: fullstory-api-key`,
    ]);
    expect(loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: EXAMPLE }).sites.sites.map((site) => site.source)).toEqual(['fullsession', 'fullsession', 'fullsession', 'fullstory', 'fullstory']);
  });

  it('takes a partition span of a day, a week or a month per site (a day by default), and names any other', () => {
    const yaml = (span: string) => `credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS } }\ndefaults:\n  sync: { partition: 7d }\naccounts:\n  o-1G1-na1:\n    source: fullstory\n    sites:\n      events: { credential: fs, sync: { partition: ${span} } }\n      individuals: { credential: fs }\n`;
    const monthly = writeConfig(yaml('1mo'));
    expect(loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: monthly }).sites.sites.map((site) => site.sync.partitionSpan)).toEqual(['1mo', '7d']);
    const hourly = writeConfig(yaml('1h'));
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: hourly })).toEqual([`${hourly}:9 accounts.o-1G1-na1.sites.events.sync.partition: must be one of: 1d, 7d, 1mo`]);
  });

  it('takes a retention where the copy can honour it, and names why not elsewhere', () => {
    const path = writeConfig(`credentials:
  main: { kind: fullsession-api-token, secret: { env: MAIN } }
  fs: { kind: fullstory-api-key, secret: { env: FS } }
accounts:
  cust-1:
    sites:
      site-a: { credential: main, sync: { retention: 90d } }
      site-b: { credential: main, sync: { retention: 2d } }
  o-1G1-na1:
    source: fullstory
    sites:
      events: { credential: fs, sync: { retention: 2d, retentionDetachOnly: yes } }
      individuals: { credential: fs, sync: { retention: 30d } }
`);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([
      `${path}:12 accounts.o-1G1-na1.sites.events.sync.retentionDetachOnly: must be a boolean, not text`,
    ]);
    const fixed = writeConfig(readFileSync(path, 'utf8').replace('yes', 'true'));
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: fixed })).toEqual([
      `${fixed} accounts.cust-1.sites.site-b.sync.retention: 2d is not longer than what scheduled runs still write (window 1d + settleDelay 30m + reach-back 1d); set it to 3d or more`,
      `${fixed} accounts.o-1G1-na1.sites.events.sync.retention: 2d is not longer than what scheduled runs still write (refreshTrailing 1d + window 1d + settleDelay 30m); set it to 3d or more`,
      `${fixed} accounts.o-1G1-na1.sites.individuals.sync.retention: fullstory individuals have no time to expire by, so they are kept for ever; remove retention here`,
    ]);
  });

  it("takes only FullStory's streams as the sites of a FullStory account", () => {
    const path = writeConfig('credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS } }\naccounts:\n  o-1G1-na1:\n    source: fullstory\n    sites:\n      events: { credential: fs }\n      individuals: { credential: fs }\n      users: { credential: fs }\n');
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([`${path}:9 accounts.o-1G1-na1.sites.users: fullstory accounts have the streams events and individuals, not "users"`]);
  });

  it('refuses settings that would leave data never complete, naming the numbers, and bad freshness thresholds', () => {
    const path = writeConfig(`credentials:
  main: { kind: fullsession-api-token, secret: { env: MAIN } }
  fs: { kind: fullstory-api-key, secret: { env: FS } }
accounts:
  cust-1:
    sites:
      site-a: { credential: main, sync: { maxSessionDuration: 6h, sweepReachBack: 4h } }
      site-b: { credential: main, sync: { maxSessionDuration: 6h, sweepReachBack: 0s }, freshness: { warnAfter: 2h, errorAfter: 3h } }
  o-1G1-na1:
    source: fullstory
    sites:
      events: { credential: fs, sync: { refreshTrailing: 12h } }
      individuals: { credential: fs, freshness: { warnAfter: 2h, errorAfter: 1h } }
`);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([`${path}:13 accounts.o-1G1-na1.sites.individuals.freshness: errorAfter must be longer than warnAfter`]);
    const fixed = writeConfig(readFileSync(path, 'utf8').replace('errorAfter: 1h', 'errorAfter: 3h'));
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: fixed })).toEqual([
      `${fixed} accounts.cust-1.sites.site-a: sync.sweepReachBack 4h is shorter than sync.maxSessionDuration 6h: sessions longer than 4h would never be synced; set sweepReachBack to at least 6h (or to 0s: no sweep, every run reaches back maxSessionDuration)`,
      `${fixed} accounts.o-1G1-na1.sites.events: sync.refreshTrailing 12h plus sync.settleDelay 30m is shorter than the 24h fullstory data takes to settle: the last export of an instant would come before it settled, so it would never be complete; set refreshTrailing to at least 1410m`,
    ]);
    const sites = loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: writeConfig(readFileSync(fixed, 'utf8').replace('sweepReachBack: 4h', 'sweepReachBack: 6h').replace('refreshTrailing: 12h', 'refreshTrailing: 24h')) }).sites.sites;
    expect(sites.map((site) => site.freshness)).toEqual([null, { warnAfterMs: 2 * 3_600_000, errorAfterMs: 3 * 3_600_000 }, null, { warnAfterMs: 2 * 3_600_000, errorAfterMs: 3 * 3_600_000 }]);
  });

  it('suggests the setting a misspelt key was meant to be', () => {
    const path = writeConfig('credentials:\n  main: { kind: fullsession-api-token, secret: { env: MAIN } }\naccounts:\n  cust-1:\n    sites:\n      site-a: { credential: main, schedul: { cron: "* * * * *" }, sync: { windw: 1h, settleDelay: 1m, frobnicate: 1 } }\n');
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([
      `${path}:6 accounts.cust-1.sites.site-a.sync.windw: unknown setting "windw"; did you mean "window"?`,
      `${path}:6 accounts.cust-1.sites.site-a.sync.frobnicate: unknown setting "frobnicate"`,
      `${path}:6 accounts.cust-1.sites.site-a.schedul: unknown setting "schedul"; did you mean "schedule"?`,
    ]);
  });

  it('refuses a YAML alias bomb as a problem of the file, not a crash', () => {
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let level = 1; level < 9; level++) levels.push(`l${level}: &l${level} [${Array(9).fill(`*${level === 1 ? 'a' : `l${level - 1}`}`).join(', ')}]`);
    const path = writeConfig(`${levels.join('\n')}\n`);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: path })).toEqual([`${path}: Excessive alias count indicates a resource exhaustion attack; the file cannot be read safely`]);
  });

  it('warns about a key file every user can read, and uses it', () => {
    const dir = tempDir('config-key-');
    const keyFile = join(dir, 'token');
    writeFileSync(keyFile, 'fus_0123456789abcdefwarned\n', { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const path = writeConfig(`credentials:\n  main: { kind: fullsession-api-token, secret: { file: ${keyFile} } }\naccounts:\n  cust-1:\n    sites:\n      site-a: { credential: main }\n`);
    const config = loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: path }, { credentials: true });
    expect(config.credentials.get('main')?.obfuscated).toBe('fus_****ned');
    expect(config.warnings).toEqual([`credential main: file ${keyFile} is readable by every user of this machine (mode 644); restrict it: chmod 600 ${keyFile}`]);
    chmodSync(keyFile, 0o600);
    expect(loadConfig({ ...baseEnv, SESSION_SYNC_CONFIG: path }, { credentials: true }).warnings).toEqual([]);
  });

  it('the worker needs every used key; both ways of configuring sites at once is an error', () => {
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: EXAMPLE }, true)).toEqual([
      'credential acme-prod: env ACME_FULLSESSION_TOKEN is not set (the worker needs it for cust-acme/marketing, cust-acme/app)',
      'credential globex: file /run/secrets/globex_fullsession_token cannot be read: ENOENT (the worker needs it for cust-globex/shop)',
      'credential acme-fullstory: env ACME_FULLSTORY_KEY is not set (the worker needs it for o-1G1-na1/events, o-1G1-na1/individuals)',
    ]);
    expect(problemsOf({ ...baseEnv, SESSION_SYNC_CONFIG: EXAMPLE, FULLSESSION_SITE_IDS: 'x' })).toEqual([
      'SESSION_SYNC_CONFIG is set, so FULLSESSION_SITE_IDS would be ignored; remove them or the config file',
    ]);
  });
});
