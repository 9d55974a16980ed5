import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../sources/http/rate-budget.js';

describe('waiting for the rate budget', () => {
  it('leaves no abort listener behind on the activity signal, however many waits it sees', async () => {
    const cancel = new AbortController();
    for (let i = 0; i < 25; i++) await sleep(1, cancel.signal);
    expect(getEventListeners(cancel.signal, 'abort')).toHaveLength(0);
  });

  it('ends a wait at once when the activity is cancelled', async () => {
    const cancel = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, cancel.signal);
    cancel.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(sleep(10, cancel.signal)).rejects.toThrow('cancelled');
  });
});
