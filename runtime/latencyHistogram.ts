/**
 * LatencyHistogram: a latency distribution kept as plain numbers — a count per bucket, a sum
 * and a count — for hot paths to feed and for Metrics to read when Prometheus scrapes
 * (runtime/metrics.ts `histogram()`).
 *
 * Guarantees: `observe` allocates nothing and touches no label, hash or map (prom-client's
 * `observe`, even through bound labels, validates and hashes the labels on every call, which
 * was measurably slower per item); buckets follow Prometheus: a value lands in the first bucket
 * whose upper bound it does not exceed, or in +Inf.
 *
 * @example
 *   const latency = new LatencyHistogram();
 *   latency.observe(0.0042);   // seconds
 */

/** Latency buckets from 0.5 ms to 30 s, in seconds. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class LatencyHistogram {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    // Latencies sit mostly in the low buckets, where a scan from the bottom stops within a step or two.
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}
