/**
 * Parses JSON text keeping integers JavaScript cannot hold exactly as their
 * decimal text: FullStory's ids (`SessionId` 8658262255227649805) exceed
 * 2^53, and JSON.parse would round them. Integers beyond
 * Number.MAX_SAFE_INTEGER are quoted before parsing, by a scanner that knows
 * where strings are, so text inside string values is never touched.
 *
 * @example parseLosslessJson('{"SessionId":8658262255227649805}') // { SessionId: '8658262255227649805' }
 */
export function parseLosslessJson(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = endOfString(text, i);
      continue;
    }
    if (char !== 0x2d /* - */ && (char < 0x30 || char > 0x39)) continue;
    const end = endOfNumber(text, i);
    const token = text.slice(i, end);
    if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
      out += `${text.slice(copiedTo, i)}"${token}"`;
      copiedTo = end;
    }
    i = end - 1;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/** The index of the closing quote of the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x5c /* \ */) i++;
    else if (char === 0x22) return i;
  }
  return text.length;
}

function endOfNumber(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && /[\d.eE+-]/.test(text[i]!)) i++;
  return i;
}
