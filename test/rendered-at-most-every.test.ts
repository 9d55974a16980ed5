import { describe, expect, it } from 'vitest';
import { renderedAtMostEvery } from '../worker/rendered-at-most-every.js';

describe('the status page rendered at most once per interval', () => {
  it('shares one render among every caller of the interval, failures included, and renders again after it', async () => {
    let now = 0;
    let renders = 0;
    let fail = false;
    const page = renderedAtMostEvery(
      15_000,
      async () => {
        renders++;
        if (fail) throw new Error('statement timeout');
        return `page ${renders}`;
      },
      () => now,
    );
    expect(await Promise.all([page(), page(), page()])).toEqual(['page 1', 'page 1', 'page 1']);
    now = 14_999;
    expect(await page()).toBe('page 1');
    now = 15_000;
    fail = true;
    await expect(page()).rejects.toThrow('statement timeout');
    await expect(page()).rejects.toThrow('statement timeout');
    expect(renders).toBe(2);
    now = 30_000;
    fail = false;
    expect(await page()).toBe('page 3');
  });
});
