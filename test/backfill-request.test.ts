import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backfillRequest } from '../cli/backfill-request.js';
import { loadConfig } from '../config/load-config.js';

const config = loadConfig({
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  SESSION_SYNC_CONFIG: fileURLToPath(new URL('../examples/session-sync.yaml', import.meta.url)),
});
const NOW = Date.parse('2026-11-22T12:00:00Z');

function problems(args: { site: string; from: string; to: string; window?: number }): string {
  try {
    backfillRequest(config, { ...args, force: false }, NOW);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('backfill arguments', () => {
  it('derive the workflow id from site and range and take the site settings', () => {
    const request = backfillRequest(config, { site: 'cust-acme/app', from: '2026-08-22', to: '2026-11-22T00:00:00Z', force: false }, NOW);
    expect(request.workflowId).toBe('backfill:session-sync:fullsession:cust-acme:app:2026-08-22T00:00:00.000Z:2026-11-22T00:00:00.000Z');
    // A second deployment on its own task queue, sharing the namespace, gets its own run, never the first one's.
    const staging = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_TASK_QUEUE: 'session-sync-staging',
      SESSION_SYNC_CONFIG: fileURLToPath(new URL('../examples/session-sync.yaml', import.meta.url)),
    });
    expect(backfillRequest(staging, { site: 'cust-acme/app', from: '2026-08-22', to: '2026-11-22T00:00:00Z', force: false }, NOW).workflowId).toBe('backfill:session-sync-staging:fullsession:cust-acme:app:2026-08-22T00:00:00.000Z:2026-11-22T00:00:00.000Z');
    expect(request.input).toEqual({
      site: { source: 'fullsession', customerId: 'cust-acme', siteId: 'app', credentialName: 'acme-prod' },
      from: Date.parse('2026-08-22'),
      to: Date.parse('2026-11-22T00:00:00Z'),
      // FullSession's backfill window, counted from --from: these three months are one window.
      windowMs: 90 * 86_400_000,
      windowOriginMs: Date.parse('2026-08-22'),
      lookbackMs: 4 * 3_600_000,
      force: false,
      kind: 'backfill',
      ratePerMinute: 20,
    });
  });

  it('name every mistake at once', () => {
    expect(problems({ site: 'nope', from: 'yesterday', to: '2026-11-01' })).toBe(
      '--from "yesterday" is not an ISO-8601 date (2026-03-01) or date-time with a zone (2026-03-01T12:00:00Z) that exists\nsite "nope" is not configured (' +
        `${fileURLToPath(new URL('../examples/session-sync.yaml', import.meta.url))} has: cust-acme/marketing, cust-acme/app, cust-globex/shop, o-1G1-na1/events, o-1G1-na1/individuals)`,
    );
    expect(problems({ site: 'shop', from: '2026-11-02', to: '2026-11-01' })).toBe('--to must be after --from');
  });

  it.each(['2026-02-30', '1', 'March 5', '2026-03-05T10:00:00', '2026-03-05 10:00Z', '2026-03-05T25:00:00Z', '2026-03-05T10:00:00+15:00'])(
    'read dates strictly: %j is refused, not guessed',
    (text) => {
      expect(problems({ site: 'shop', from: text, to: '2026-11-01' })).toBe(`--from "${text}" is not an ISO-8601 date (2026-03-01) or date-time with a zone (2026-03-01T12:00:00Z) that exists`);
    },
  );

  it('take a date-time with any zone', () => {
    const request = backfillRequest(config, { site: 'shop', from: '2026-03-05T10:00:00+02:00', to: '2026-03-06T00:00:00.250Z', force: false }, NOW);
    expect([request.input.from, request.input.to]).toEqual([Date.parse('2026-03-05T08:00:00Z'), Date.parse('2026-03-06T00:00:00.250Z')]);
  });

  it('refuse a range of more windows than a plan needs, and say what window would do', () => {
    expect(problems({ site: 'shop', from: '2016-01-01', to: '2026-01-01', window: 1 })).toBe(
      '--from..--to at this window size is 315,619,200,000 windows; at most 100,000 are allowed: use --window 1h or more, or split the range',
    );
    expect(problems({ site: 'shop', from: '2016-01-01', to: '2026-01-01', window: 3_600_000 })).toBe('');
  });

  it('refuse a range ending after now minus the settle delay: a done window is never fetched again', () => {
    expect(problems({ site: 'shop', from: '2026-11-21', to: '2026-11-22T11:45:00Z' })).toBe(
      '--to 2026-11-22T11:45:00.000Z is later than now minus the settle delay (2026-11-22T11:30:00.000Z): sessions ending after that may not have reached FullSession yet, and a completed window is never fetched again. Scheduled runs cover recent data.',
    );
    expect(problems({ site: 'shop', from: '2026-11-21', to: '2026-11-22T11:30:00Z' })).toBe('');
  });
});
