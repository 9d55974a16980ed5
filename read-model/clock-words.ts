import { formatDuration } from './duration-words.js';

/** The two clocks in words: `complete to 04:00Z, 5h ago; fresh to 09:12Z, 3m ago`. */
export function twoClocks(site: { watermark: number | null; freshUntil: number | null }, now: number): string {
  if (site.freshUntil === null) return 'nothing synced yet';
  return `complete to ${clockInWords(site.watermark, now)}; fresh to ${clockInWords(site.freshUntil, now)}`;
}

/** An instant and how long ago: the time alone on today's UTC date, the date too before it. */
export function clockInWords(at: number | null, now: number): string {
  if (at === null) return 'unknown';
  const iso = new Date(at).toISOString();
  const when = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? `${iso.slice(11, 16)}Z` : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
  return `${when}, ${at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`}`;
}
