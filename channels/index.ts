/**
 * The channels layer's public entry: Runtime, the Channel handle API, stream groups and errors.
 */
export { Runtime, type RuntimeOptions } from "./runtime.ts";
export { StreamGroup, type GroupOptions, type Aligned, type MissingHandler } from "./streamGroup.ts";
export { DEFAULT_RETAIN } from "./retention.ts";
export { MAX_NAME_BYTES } from "./names.ts";
export * from "./errors.ts";
export type * from "./types.ts";
