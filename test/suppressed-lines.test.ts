import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErasureKey } from '../erasure/erasure-key.js';
import type { IdentityKind } from '../erasure/identity.js';
import { SuppressionList } from '../erasure/suppression-list.js';
import { withoutSuppressedLines } from '../sources/fullstory/suppressed-lines.js';

const key = new ErasureKey(randomBytes(32).toString('base64'));
const listOf = (...identities: Array<[IdentityKind, string]>) => new SuppressionList(new Set(identities.map(([kind, value]) => key.hash(kind, value))), key);

async function kept(lines: string[], list: SuppressionList) {
  const dropped = { suppressed: 0 };
  const out: string[] = [];
  for await (const batch of withoutSuppressedLines((async function* () { yield lines; })(), list, dropped)) out.push(...batch);
  return { out, dropped: dropped.suppressed };
}

describe('an export file without the lines of erased people', () => {
  it('drops every line carrying a suppressed identity, whatever its shape, and counts them', async () => {
    const list = listOf(['email', 'ann@example.com'], ['fullstory_user_id', '8658262255227649805'], ['uid', 'app-7'], ['indv_id', '42']);
    const lines = [
      '{"EventStart":"2026-11-01T00:00:00Z","UserEmail":"Ann@Example.com","UserId":1}', // plain, email in another case
      '{"EventStart":"2026-11-01T00:00:01Z","UserId":8658262255227649805}', // an id beyond 2^53, as a bare integer
      '{"UserAppKey":"app-7","EventVarFields":{"a":[1,2]}}', // nested: parsed, no EventStart (it would be a reject)
      '{"IndvId":42,"PageUrl":"https://x.example/\\u0000"}', // an escape the text reader leaves to the parser
      '{"Email":"ann@example.com","IndvId":7}', // an individual
      '{"EventStart":"2026-11-01T00:00:02Z","UserEmail":"bob@example.com","UserId":8658262255227649806}',
      'not json at all',
    ];
    const { out, dropped } = await kept(lines, list);
    expect(out).toEqual([lines[5], lines[6]]);
    expect(dropped).toBe(5);
  });

  it('keeps every line when the list holds nobody of them', async () => {
    const lines = ['{"UserEmail":"carol@example.com"}', '{"UserId":5}'];
    expect(await kept(lines, listOf(['email', 'ann@example.com']))).toEqual({ out: lines, dropped: 0 });
  });
});
