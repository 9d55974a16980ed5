import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { downloadExportFile } from '../sources/fullstory/export-file-download.js';
import { FullStoryClient } from '../sources/fullstory/fullstory-client.js';
import { obfuscateFullStoryKey } from '../sources/fullstory/fullstory-key.js';
import { RateBudget } from '../sources/http/rate-budget.js';
import { SourceError } from '../sources/source-error.js';

const ORG = 'o-5D5-na1';
const T0 = Date.UTC(2026, 9, 7);
const HOUR = 3_600_000;
const IDLE_MS = 300;

/** The file storage behind an export is not the API: its faults are classified for the retry policy, its link's signature never quoted. */
describe('downloading an export file from the storage host', () => {
  const key = `na1.${randomBytes(24).toString('base64url')}/ABCDEFG`;
  let sandbox: FullStorySandbox;
  let location: () => Promise<string>;
  let truth: number;

  beforeAll(async () => {
    sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 2_000 }], keys: [{ key, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 0 });
    const client = new FullStoryClient({ baseUrl: sandbox.url, credentialName: 'fs', key: new Secret(key, obfuscateFullStoryKey), requestTimeoutMs: 5_000, maxResponseBytes: 1 << 20, downloadIdleTimeoutMs: IDLE_MS, rateGate: new RateBudget(100_000).gate });
    const operationId = await client.createExport('TYPE_EVENT', { start: T0, end: T0 + HOUR });
    let searchExportId: string | null = null;
    while (searchExportId === null) searchExportId = (await client.operation(operationId)).searchExportId;
    const id = searchExportId;
    location = () => client.exportLocation(id);
    truth = sandbox.events(ORG, T0, T0 + HOUR).length;
  });
  afterAll(() => sandbox?.close());

  const lineCount = async (url: string, pauseMs = 0) => {
    let count = 0;
    for await (const batch of downloadExportFile(url, { idleTimeoutMs: IDLE_MS })) {
      // A slow reader: it stops for pauseMs after the first batch of lines, longer than the idle timeout.
      if (pauseMs > 0 && count === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      count += batch.filter((line) => line).length;
    }
    return count;
  };
  const failureOf = async (url: string) => {
    const error = await lineCount(url).then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  };

  it('classes a 503 as transient with its Retry-After, naming the host and never the signed query', async () => {
    sandbox.faults.failNextDownloads('503');
    const url = await location();
    const error = await failureOf(url);
    expect([error.kind, error.details.reason, error.details.status, error.details.retryAfterMs]).toEqual(['transient', 'storage_unavailable', 503, 1_000]);
    expect(error.message).toBe(`FullStory's file storage at ${sandbox.url} answered HTTP 503 while downloading an export file; retrying with backoff`);
    expect(await lineCount(url)).toBe(truth);
  });

  it('classes a connection dropped halfway as transient, not as a malformed file', async () => {
    sandbox.faults.failNextDownloads('reset');
    const error = await failureOf(await location());
    expect([error.kind, error.details.reason]).toEqual(['transient', 'storage_unavailable']);
    expect(error.message).toMatch(new RegExp(`^the download of an export file from ${sandbox.url} broke off \\(\\w+\\); retrying with backoff$`));
  });

  it('gives up on a stalled download after the idle timeout, and a slow reader is no stall', async () => {
    sandbox.faults.failNextDownloads('stall');
    const started = Date.now();
    const error = await failureOf(await location());
    expect([error.kind, error.details.reason]).toEqual(['transient', 'storage_unavailable']);
    expect(error.message).toBe(`the download of an export file from ${sandbox.url} stalled: no byte for the idle timeout; retrying with backoff`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS);
    // The reader (a COPY into Postgres) takes three idle timeouts over its first line: the download goes on.
    expect(await lineCount(await location(), 3 * IDLE_MS)).toBe(truth);
  });

  it('classes an expired link as location_expired, so the retry asks for a fresh one', async () => {
    const url = await location();
    sandbox.expireLocations();
    const error = await failureOf(url);
    expect([error.kind, error.details.reason, error.details.status]).toEqual(['transient', 'location_expired', 403]);
    expect(await lineCount(await location())).toBe(truth);
  });
});

describe('an export file that is malformed', () => {
  let server: Server;
  let url: string;
  const bodies: Record<string, Buffer> = {
    '/bad-gzip': Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(64)]),
  };

  beforeAll(async () => {
    server = createServer((req, res) => res.writeHead(200).end(bodies[new URL(req.url ?? '/', 'http://x').pathname]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails bad gzip as malformed (bad data), not as a storage fault', async () => {
    const error = await (async () => {
      for await (const batch of downloadExportFile(`${url}/bad-gzip?X-Goog-Signature=s3cr3t`, { idleTimeoutMs: 5_000 })) void batch;
    })().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SourceError);
    expect([(error as SourceError).kind, (error as SourceError).details.reason]).toEqual(['bad_data', 'malformed']);
    expect((error as SourceError).message).toMatch(/^FullStory sent a malformed export file: it is not valid gzip \(/);
    expect((error as SourceError).message).not.toContain('s3cr3t');
  });
});
