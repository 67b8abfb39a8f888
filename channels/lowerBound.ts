/**
 * lowerBound: binary search in numbers sorted ascending.
 *
 * Returns the first index in [lo, hi) whose value is >= x, or hi when there is none: where x
 * is, or where it would be inserted to keep the order.
 *
 * @example
 *   lowerBound([10, 20, 30], 20); // 1
 *   lowerBound([10, 20, 30], 25); // 2
 */
export function lowerBound(a: ArrayLike<number>, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
