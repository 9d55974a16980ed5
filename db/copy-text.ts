/** Fields as one line of COPY's text format, null as `\N`. */
export function copyLine(fields: Array<string | null>): string {
  return `${fields.map(copyField).join('\t')}\n`;
}

/** One field of a line in COPY's text format, null as `\N`. */
export function copyField(field: string | null): string {
  return field === null ? '\\N' : copyText(field);
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  const plain = !value.includes('\\') && !value.includes('\t') && !value.includes('\n') && !value.includes('\r');
  return plain ? value : value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char]!);
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
