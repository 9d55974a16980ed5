import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { FullStoryClient } from '../sources/fullstory/fullstory-client.js';
import { apiBaseUrlFor, levelName, obfuscateFullStoryKey } from '../sources/fullstory/fullstory-key.js';
import { parseLosslessJson } from '../sources/fullstory/lossless-json.js';
import { RateBudget } from '../sources/http/rate-budget.js';
import { SourceError } from '../sources/source-error.js';

const ORG = 'o-1G1-na1';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 5);

/** A key shaped like FullStory's: data-center prefix, body, and the 7-character suffix its UI shows. */
function newKey(region: 'na1' | 'eu1'): string {
  return `${region}.${randomBytes(24).toString('base64url')}/${randomBytes(5).toString('hex').slice(0, 7).toUpperCase()}`;
}

describe('FullStory client against the sandbox over HTTP', () => {
  const architect = newKey('na1');
  const standard = newKey('na1');
  const european = newKey('eu1');
  let na: FullStorySandbox;
  let eu: FullStorySandbox;
  const hosts = () => ({ apiUrl: na.url, euApiUrl: eu.url });
  const client = (key: string) =>
    new FullStoryClient({ baseUrl: apiBaseUrlFor(key, hosts()), credentialName: 'fs', key: new Secret(key, obfuscateFullStoryKey), requestTimeoutMs: 5_000, maxResponseBytes: 1 << 20, downloadIdleTimeoutMs: 5_000, rateGate: new RateBudget(100_000).gate });

  beforeAll(async () => {
    na = await FullStorySandbox.start({
      orgs: [{ orgId: ORG, eventsPerHour: 400 }],
      keys: [
        { key: architect, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' },
        { key: standard, orgId: ORG, role: 'USER', email: 'analyst@example.com' },
      ],
    });
    eu = await FullStorySandbox.start({ orgs: [{ orgId: 'o-2B2-eu1', eventsPerHour: 10 }], keys: [{ key: european, orgId: 'o-2B2-eu1', role: 'ADMIN', email: 'eu@example.com' }] });
  });
  afterAll(async () => {
    await na?.close();
    await eu?.close();
  });

  async function failure(promise: Promise<unknown>): Promise<SourceError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }

  it('sends the raw key as Basic auth and learns its owner, org and level from /me', async () => {
    expect(await client(architect).me()).toEqual({ email: 'etl@example.com', orgId: ORG, role: 'ARCHITECT' });
    expect(levelName('USER')).toBe('Standard');
    expect(levelName('VIEW_ONLY')).toBe('unknown (VIEW_ONLY)');
  });

  it('sends eu1 keys to the EU host', async () => {
    const before = eu.requests.length;
    expect((await client(european).me()).orgId).toBe('o-2B2-eu1');
    expect(eu.requests.slice(before).map((r) => r.path)).toEqual(['/me']);
  });

  it('names a revoked key by its suffix and a Standard key by the level it lacks', async () => {
    const revoked = newKey('na1');
    const unauthorized = await failure(client(revoked).me());
    expect([unauthorized.kind, unauthorized.permanent]).toEqual(['credential_rejected', true]);
    expect(unauthorized.message).toBe(`FullStory (${na.url}) rejected credential fs (…/${revoked.slice(-7)}) with 401: the key is wrong or revoked, the user who created it was removed, or it belongs to another data centre's host. Create a key in FullStory (Settings > Integrations > API Keys) and update the secret of fs.`);
    const tooLow = await failure(client(standard).createExport('TYPE_EVENT', { start: T0, end: T0 + HOUR }));
    expect(tooLow.kind).toBe('credential_rejected');
    expect(tooLow.message).toContain('exporting needs an Architect or Admin key');
    for (const error of [unauthorized, tooLow]) expect(error.message).not.toContain(revoked.slice(0, 20));
  });

  it('exports a window: pending, completed, located, downloaded without the key, every row with its exact ids', async () => {
    const fs = client(architect);
    const operationId = await fs.createExport('TYPE_EVENT', { start: T0, end: T0 + 2 * HOUR });
    const states: string[] = [];
    let searchExportId: string | null = null;
    while (searchExportId === null) {
      const operation = await fs.operation(operationId);
      states.push(operation.state);
      searchExportId = operation.searchExportId;
    }
    // Pending for the sandbox's two polls at least, and while its file is being written.
    expect(states.slice(0, 2)).toEqual(['PENDING', 'PENDING']);
    expect(states.at(-1)).toBe('COMPLETED');
    const rows: Array<Record<string, unknown>> = [];
    for await (const batch of fs.downloadLines(await fs.exportLocation(searchExportId))) rows.push(...batch.map((line) => parseLosslessJson(line) as Record<string, unknown>));

    const truth = na.events(ORG, T0, T0 + 2 * HOUR);
    expect(rows.length).toBeGreaterThan(400);
    expect(rows.map((row) => JSON.stringify(row)).sort()).toEqual(truth.map((row) => JSON.stringify(row)).sort());
    // Ids beyond 2^53 arrive as bare integers: each is kept exact, as text.
    const sessionId = String(truth[0]!.SessionId);
    expect(BigInt(sessionId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(rows.filter((row) => row.SessionId === sessionId).length).toBe(truth.filter((row) => row.SessionId === sessionId).length);
    // Identical rows are distinct events: the export keeps each.
    expect(new Set(truth.map((row) => JSON.stringify(row))).size).toBeLessThan(truth.length);
    expect(na.requests.filter((r) => r.path.startsWith('/_files/')).map((r) => [r.authorized, r.status])).toEqual([[false, 200]]);
  });

  it('tells an expired location apart, and a new one works', async () => {
    const fs = client(architect);
    const operationId = await fs.createExport('TYPE_EVENT', { start: T0, end: T0 + HOUR });
    let searchExportId: string | null = null;
    while (searchExportId === null) searchExportId = (await fs.operation(operationId)).searchExportId;
    const location = await fs.exportLocation(searchExportId);
    na.expireLocations();
    const expired = await failure((async () => {
      for await (const batch of fs.downloadLines(location)) void batch;
    })());
    expect([expired.kind, expired.details.reason]).toEqual(['transient', 'location_expired']);
    let count = 0;
    for await (const batch of fs.downloadLines(await fs.exportLocation(searchExportId))) count += batch.filter((line) => line).length;
    expect(count).toBe(na.events(ORG, T0, T0 + HOUR).length);
  });
});

describe('FullStory keys and ids', () => {
  it('shows a key by its 7-character suffix, a legacy key by a fingerprint', () => {
    expect(obfuscateFullStoryKey('na1.c2VjcmV0/part/3BTYMQW')).toBe('…/3BTYMQW');
    const legacy = obfuscateFullStoryKey('AbCdEfGhIjKlMnOp');
    expect(legacy).toMatch(/^legacy key #[0-9a-f]{8}$/);
    expect(legacy).not.toContain('AbCd');
  });

  it('parses ids beyond 2^53 exactly and leaves strings and other numbers alone', () => {
    expect(parseLosslessJson('{"SessionId":8658262255227649805,"UserId":-9007199254740993,"n":12,"f":1.5e300,"s":"x: 8658262255227649805, \\"q\\" 99999999999999999","a":[18446744073709551615,1]}')).toEqual({
      SessionId: '8658262255227649805',
      UserId: '-9007199254740993',
      n: 12,
      f: 1.5e300,
      s: 'x: 8658262255227649805, "q" 99999999999999999',
      a: ['18446744073709551615', 1],
    });
  });
});
