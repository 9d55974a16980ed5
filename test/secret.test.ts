import { describe, expect, it } from 'vitest';
import { keyShapeProblem, obfuscateKey, scrubSecrets, Secret } from '../config/secret.js';
import { excerpt } from '../sources/http/excerpt.js';
import { newToken } from './support/sandbox-fixtures.js';

describe('scrubbing keys out of text that came from outside', () => {
  const key = `${newToken()}+/=`;
  new Secret(key);
  const shown = obfuscateKey(key);

  it.each([
    ['as is', `auth: ${key}`],
    ['URL-encoded', `GET /x?token=${encodeURIComponent(key)}`],
    ['JSON-escaped', JSON.stringify({ header: `Bearer "${key}"` })],
    ['base64', `basic ${Buffer.from(key).toString('base64')}`],
  ])('replaces a held key quoted %s with its obfuscated form', (_form, text) => {
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toContain(key.slice(0, 12));
    expect(scrubbed).toContain(shown);
  });

  it('redacts Bearer and Basic credentials it does not hold', () => {
    expect(scrubSecrets('echo: Authorization: Bearer abc123def456ghi and Basic eu1.QWxh9ZGRpbjpvcGVu')).toBe('echo: Authorization: Bearer [redacted] and Basic [redacted]');
    expect(scrubSecrets('Basic information about the error')).toBe('Basic information about the error');
  });

  it('scrubs before cutting an excerpt, so no half key survives the cut', () => {
    const body = `${'x'.repeat(190)}${key}`;
    expect(excerpt(body)).toBe(`${'x'.repeat(190)}${shown}`.slice(0, 200) + '…');
  });

  it.each([
    [`${key}\n${key}`, 'holds 2 lines; a key is one line (keep only the current key)'],
    ['fus_abc def', 'holds spaces or characters outside printable ASCII; a key is one line of printable characters'],
    ['fus_abcdéf', 'holds spaces or characters outside printable ASCII; a key is one line of printable characters'],
    [key, null],
  ])('judges the shape of a key without quoting it', (value, problem) => {
    expect(keyShapeProblem(value)).toBe(problem);
  });
});
