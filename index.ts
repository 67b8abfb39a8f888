/**
 * The public API of PTS, re-exported from the layers. Import from "pts".
 */
export * from "./runtime/index.ts";
export * from "./channels/index.ts";
