import { parseIsoInstant } from '../config/iso-instant.js';
import { UsageError } from './usage-error.js';

/**
 * Optional `--from` and `--to` options as instants; a text that is not
 * ISO-8601, or a `--to` not after `--from`, is a usage error (exit 2).
 */
export function optionalRange(options: { from?: string; to?: string }): { from?: number; to?: number } {
  const read = (name: string, text: string) => {
    const at = parseIsoInstant(text);
    if (at === undefined) throw new UsageError(`${name} "${text}" is not an ISO-8601 date (2026-03-01) or date-time with its zone (2026-03-01T12:00:00Z)`);
    return at;
  };
  const range = { ...(options.from === undefined ? {} : { from: read('--from', options.from) }), ...(options.to === undefined ? {} : { to: read('--to', options.to) }) };
  if (range.from !== undefined && range.to !== undefined && range.to <= range.from) throw new UsageError(`--to ${options.to} must be after --from ${options.from}`);
  return range;
}
