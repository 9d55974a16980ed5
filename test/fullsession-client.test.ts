import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { RateBudget } from '../sources/http/rate-budget.js';
import { FullSessionClient } from '../sources/fullsession/fullsession-client.js';
import { SourceError } from '../sources/source-error.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { CUSTOMER, DAY0, HOUR, newToken, SITE, startTestSandbox } from './support/sandbox-fixtures.js';

describe('FullSession client against the sandbox over HTTP', () => {
  const token = newToken();
  const scopedToken = newToken();
  let sandbox: FullSessionSandbox;

  const client = (key = token, timeoutMs = 2_000) =>
    new FullSessionClient({ baseUrl: sandbox.url, credentialName: 'main', token: new Secret(key), requestTimeoutMs: timeoutMs, maxResponseBytes: 1 << 20, rateGate: new RateBudget(100_000).gate });
  const query = { customerId: CUSTOMER, siteId: SITE, startTime: DAY0, endTime: DAY0 + 6 * HOUR - 1 };

  beforeAll(async () => {
    sandbox = await startTestSandbox(token, { pageSize: 50 });
    sandbox.addToken({ token: scopedToken, customerId: CUSTOMER, sites: ['site-b'] });
  });
  beforeEach(() => sandbox.faults.clear());
  afterAll(() => sandbox?.close());

  async function failure(promise: Promise<unknown>): Promise<SourceError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }

  it('pages with startAfter until a response has none, and gets every session once', async () => {
    const before = sandbox.requests.length;
    const seen: string[] = [];
    let cursor: unknown;
    do {
      const page = await client().fetchPage({ ...query, cursor });
      seen.push(...page.sessions.map((s) => (s as { uuid: string }).uuid));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const expected = sandbox.groundTruth(CUSTOMER, SITE, 0, DAY0 + 6 * HOUR).filter((s) => s.startTime >= DAY0).map((s) => s.uuid);
    expect(seen.sort()).toEqual(expected.sort());
    expect(sandbox.requests.length - before).toBe(Math.ceil(expected.length / 50));
    expect(sandbox.requests.slice(before).every((r) => r.status === 201)).toBe(true);
  });

  it('passes the cursor back verbatim and does not stop on a short page', async () => {
    sandbox.faults.failNext('short_page');
    const first = await client().fetchPage({ ...query, cursor: undefined });
    expect(first.sessions.length).toBe(17);
    expect(first.nextCursor).toEqual(expect.any(Number));
    await client().fetchPage({ ...query, cursor: first.nextCursor });
    expect(sandbox.requests[sandbox.requests.length - 1]!.cursor).toBe(String(first.nextCursor));
  });

  it.each([
    ['non_json', 'FullSession sent a malformed page: response body is not JSON'],
    ['truncate', 'FullSession sent a malformed page: response body is not JSON'],
  ] as const)('fails the whole page on a %s body', async (fault, message) => {
    sandbox.faults.failNext(fault);
    const error = await failure(client().fetchPage({ ...query, cursor: undefined }));
    expect([error.kind, error.details.reason]).toEqual(['bad_data', 'malformed']);
    expect(error.message).toContain(message);
  });

  it('classifies 5xx, dropped connections and timeouts as transient', async () => {
    sandbox.faults.failNext('server_error');
    expect((await failure(client().fetchPage({ ...query, cursor: undefined }))).details.reason).toBe('server_error');
    sandbox.faults.failNext('drop');
    expect((await failure(client().fetchPage({ ...query, cursor: undefined }))).details.reason).toBe('network');
    sandbox.faults.failNext('latency');
    sandbox.faults.latencyMs = 1_000;
    const timeout = await failure(client(token, 200).fetchPage({ ...query, cursor: undefined }));
    expect([timeout.kind, timeout.details.reason]).toEqual(['transient', 'timeout']);
    expect(timeout.permanent).toBe(false);
  });

  it('names the credential obfuscated and says what to do on 401, 403 and 404', async () => {
    const wrong = await failure(client('fus_wrongwrongwrongxyz').fetchPage({ ...query, cursor: undefined }));
    expect([wrong.kind, wrong.details.reason, wrong.permanent]).toEqual(['credential_rejected', 'unauthorized', true]);
    expect(wrong.message).toBe('FullSession rejected credential main (fus_****xyz) with 401: the token is wrong, revoked or deleted. Create a new token in FullSession (Settings → API Tokens) and update the secret of main.');

    const outOfScope = await failure(client(scopedToken).fetchPage({ ...query, cursor: undefined }));
    expect([outOfScope.kind, outOfScope.details.reason]).toEqual(['stream_unavailable', 'forbidden']);
    expect(outOfScope.message).toBe(`FullSession refused credential main (${new Secret(scopedToken).obfuscated}) for site site-a of customer ${CUSTOMER} with 403: the token is not scoped to this site. Create a token scoped to it (or to all sites) and update the secret of main.`);

    const unknown = await failure(client().fetchPage({ ...query, siteId: 'no-such-site', cursor: undefined }));
    expect([unknown.kind, unknown.details.reason]).toEqual(['stream_unavailable', 'not_found']);
    for (const error of [wrong, outOfScope, unknown]) expect(error.message).not.toContain(token);
  });

  it('never quotes the key when the API echoes the request headers: status errors and malformed pages', async () => {
    const obfuscated = new Secret(token).obfuscated;
    sandbox.faults.failNext('echo_headers');
    const echoed = await failure(client().fetchPage({ ...query, cursor: undefined }));
    expect([echoed.kind, echoed.details.reason]).toEqual(['stream_unavailable', 'bad_request']);
    expect(echoed.message).toContain(`"authorization":"Bearer ${obfuscated}"`);
    sandbox.faults.failNext('echo_headers_html');
    const html = await failure(client().fetchPage({ ...query, cursor: undefined }));
    expect(html.kind).toBe('bad_data');
    expect(html.message).toContain(`"authorization":"Bearer ${obfuscated}"`);
    for (const error of [echoed, html]) {
      expect(`${error.message} ${error.details.bodyExcerpt}`).not.toContain(token);
      // Not even the part of it the 200-character excerpt would have cut off.
      expect(`${error.message} ${error.details.bodyExcerpt}`).not.toContain(token.slice(0, 12));
    }
  });

  it('refuses a gzip body that expands past the cap after reading no more than the cap', async () => {
    sandbox.faults.failNext('gzip_bomb');
    const bomb = await failure(client().fetchPage({ ...query, cursor: undefined }));
    expect(bomb.kind).toBe('bad_data');
    expect(bomb.message).toBe(`FullSession sent a malformed page: response body exceeds the ${1 << 20}-byte cap (FULLSESSION_MAX_RESPONSE_SIZE) for site site-a of customer ${CUSTOMER}; nothing of it was read further`);
    // The next page is read normally: the connection was given up, not the client.
    expect((await client().fetchPage({ ...query, cursor: undefined })).sessions.length).toBeGreaterThan(0);
  });

  it('reports 429 with the Retry-After it was given', async () => {
    sandbox.setLimitPerMinute(1);
    try {
      await client().fetchPage({ ...query, cursor: undefined });
      const limited = await failure(client().fetchPage({ ...query, cursor: undefined }));
      expect(limited.kind).toBe('rate_limited');
      expect(limited.details.retryAfterMs).toBeGreaterThanOrEqual(59_000);
      expect(limited.details.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      sandbox.setLimitPerMinute(null);
    }
  });
});
