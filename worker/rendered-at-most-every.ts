/**
 * Wraps an expensive render so that it runs at most once per `intervalMs`:
 * callers within the interval share the last result (or the render in
 * flight), however many there are. A failed render is shared too, until
 * the interval passes: a flood of requests during an outage is one query.
 *
 * @example const page = renderedAtMostEvery(15_000, () => statusPageHtml(deps))
 */
export function renderedAtMostEvery<T>(intervalMs: number, render: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; result: Promise<T> } | undefined;
  return () => {
    if (last === undefined || now() - last.at >= intervalMs) last = { at: now(), result: render() };
    return last.result;
  };
}
