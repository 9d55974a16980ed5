import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { retryDelayMs, retryUnit, TRANSIENT_TRIES } from '../activities/unit-retry.js';
import { SourceError, type SourceFailureKind } from '../sources/source-error.js';

const storage503 = () => new SourceError('transient', 'storage answered 503', { reason: 'storage_unavailable', status: 503 });
const expired = () => new SourceError('transient', 'link expired', { reason: 'location_expired', status: 403 });
const malformed = () => new SourceError('bad_data', 'FullStory sent a malformed export file: it is not valid gzip', { reason: 'malformed' });

/** A unit that fails with each of `failures` in turn, then succeeds; it records the waits between tries. */
function flakyUnit(failures: Array<() => Error>) {
  const waits: number[] = [];
  let tries = 0;
  const run = () =>
    retryUnit(
      async () => {
        tries += 1;
        const failure = failures.shift();
        if (failure) throw failure();
        return 'loaded';
      },
      { sleep: async (ms) => void waits.push(ms), random: () => 0.5, onRetry: () => {} },
    );
  return { run, waits, tries: () => tries };
}

describe('retrying a unit inside the activity', () => {
  it(`retries transient failures ${TRANSIENT_TRIES} times with growing, jittered waits, then hands the failure to Temporal`, async () => {
    const recovering = flakyUnit([storage503, storage503]);
    expect(await recovering.run()).toBe('loaded');
    expect(recovering.tries()).toBe(3);
    // 1 s then 2 s, each half fixed and half jitter (0.5 here): 750 and 1,500 ms.
    expect(recovering.waits).toEqual([750, 1_500]);

    const failing = flakyUnit([storage503, storage503, storage503, storage503]);
    const error = await failing.run().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('transient');
    expect(failing.tries()).toBe(TRANSIENT_TRIES);
  });

  it('asks again at once for an expired link', async () => {
    const unit = flakyUnit([expired]);
    expect(await unit.run()).toBe('loaded');
    expect(unit.waits).toEqual([0]);
  });

  it('gives up on a unit malformed three times in a row with a non-retryable failure that counts them', async () => {
    const unit = flakyUnit([malformed, storage503, malformed, malformed]);
    const error = await unit.run().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toBe('FullStory sent a malformed export file: it is not valid gzip (attempt 3 of 3; giving up on this window)');
    expect(unit.tries()).toBe(4);
  });

  it.each<[SourceFailureKind, string]>([
    ['credential_rejected', 'unauthorized'],
    ['stream_unavailable', 'not_found'],
    ['window_failed', 'export_failed'],
  ])('fails a %s failure at once', async (kind, reason) => {
    const unit = flakyUnit([() => new SourceError(kind, 'no', { reason })]);
    await expect(unit.run()).rejects.toMatchObject({ kind });
    expect(unit.tries()).toBe(1);
  });

  it('waits at least what the host asked for, and at most 30 s', () => {
    const asked = new SourceError('transient', '429', { reason: 'storage_unavailable', status: 429, retryAfterMs: 7_000 });
    expect(retryDelayMs(asked, 1, 0.99)).toBe(7_000);
    expect(retryDelayMs(storage503(), 1, 0)).toBe(500);
    expect(retryDelayMs(storage503(), 1, 0.999)).toBe(1_000);
    expect(retryDelayMs(storage503(), 10, 0)).toBe(15_000);
    expect(retryDelayMs(storage503(), 10, 0.999)).toBe(29_985);
  });
});
