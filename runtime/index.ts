/**
 * The runtime layer's public entry: clock, errors and codecs. Knows nothing of channels.
 * Higher layers import the runtime through this file (the LRVM has its own entry,
 * runtime/lrvm/index.ts).
 */
export * as clock from "./clock.ts";
export { now, parseTime, parseDuration, assertTimestamp, isTimestamp, timestampError, fromMs, toMs, fromDate, toDate, fromIso, toIso, type Timestamp } from "./clock.ts";
export { RUNTIME_ERROR_CODES, PtsError, InvalidTimestampError, InvalidOptionError, describe } from "./errors.ts";
export { nameToken, MAX_TOKEN } from "./token.ts";
export { Backoff, type BackoffOptions, retry, type RetryOptions, sleep } from "./backoff.ts";
export { RateLimiter } from "./rateLimiter.ts";
export { seededRandom } from "./random.ts";
export { Metrics, MetricsServerError, type MetricsOptions, type RouteHandler, type Labels, type Samples, type HistogramSamples, DEFAULT_METRICS_PORT, PROCESS_METRICS_MS } from "./metrics.ts";
export { LatencyHistogram, LATENCY_BUCKETS } from "./latencyHistogram.ts";
export * from "./transport/index.ts";
