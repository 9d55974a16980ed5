const UNIT_BYTES = { b: 1, kb: 1_000, kib: 1_024, mb: 1_000_000, mib: 1_048_576, gb: 1_000_000_000, gib: 1_073_741_824 } as const;
const SIZE_PATTERN = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;

/**
 * Parses a size such as `16MiB`, `500kB` or `1048576` (bytes) into bytes.
 * Returns undefined for anything else so callers can report it with context.
 *
 * @example parseByteSize('16MiB') // 16_777_216
 */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase() as keyof typeof UNIT_BYTES;
  return Number(match[1]) * UNIT_BYTES[unit];
}
