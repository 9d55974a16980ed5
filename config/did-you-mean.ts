import type { z } from 'zod';

/**
 * The known name closest to a misspelt one, when it is close enough to be a
 * typo (at most two edits, and fewer than half the word): `crn` → `cron`.
 */
export function closestName(word: string, known: Iterable<string>): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const name of known) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance > 0 && distance <= Math.min(2, Math.floor(name.length / 2)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

/** Every property name a schema's objects accept, however deep: the candidates for a suggestion. */
export function settingNames(schema: z.ZodType): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown, depth: number): void => {
    const def = (node as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def || depth > 20) return;
    if (def.type === 'object') {
      for (const [name, child] of Object.entries(def.shape as Record<string, unknown>)) {
        names.add(name);
        visit(child, depth + 1);
      }
    }
    for (const key of ['innerType', 'valueType', 'in', 'out', 'element']) if (def[key]) visit(def[key], depth + 1);
  };
  visit(schema, 0);
  return names;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
