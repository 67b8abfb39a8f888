/**
 * The runtime layer's public entry: clock, errors and codecs. Knows nothing of channels.
 */
export * as clock from "./clock.ts";
export { now, parseTime, parseDuration, assertTimestamp, isTimestamp, fromMs, toMs, fromDate, toDate, fromIso, toIso, type Timestamp } from "./clock.ts";
export { PtsError, InvalidTimestampError, NotSupportedError, InvalidOptionError } from "./errors.ts";
export * from "./transport/index.ts";
