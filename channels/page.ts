/**
 * Page: the first items of a range, as the stores behind a channel hand them out, with how far
 * the page is complete: every item with ts <= `through` (and in the range) is in it, so the
 * next page starts at through + 1. A page may hold fewer items than asked and still stop short
 * of the range's end (damaged records on disk are skipped), but it never skips an item.
 *
 * @example
 *   const page = pageOf(index.range(lo, hi, 16), 16, hi);   // through: the 16th ts, or hi
 */
export type Page<I> = { items: I[]; through: number };

/** The page of `items`, the first ones from a source asked for at most `limit` up to `hi`. */
export function pageOf<I extends { ts: number }>(items: I[], limit: number, hi: number): Page<I> {
  return { items, through: items.length === limit ? items[limit - 1].ts : hi };
}
