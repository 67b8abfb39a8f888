/**
 * The public API of PTS, re-exported from the layers. Import from "pts".
 */
import { ACTUATOR_ERROR_CODES } from "./actuators/index.ts";
import { CHANNEL_ERROR_CODES } from "./channels/index.ts";
import { PIPELINE_ERROR_CODES } from "./pipelines/index.ts";
import { RVM_ERROR_CODES } from "./runtime/lrvm/index.ts";
import { RUNTIME_ERROR_CODES, TRANSPORT_ERROR_CODES } from "./runtime/index.ts";
import { SENSOR_ERROR_CODES } from "./sensors/index.ts";

// The names DESIGN.md fixes, spelled out; everything else public comes with the layers' entries.
export { Runtime } from "./channels/index.ts";
export { Rvm, RvmError } from "./runtime/lrvm/index.ts";
export * from "./runtime/index.ts";
export * from "./runtime/lrvm/index.ts";
export * from "./channels/index.ts";
export * from "./sensors/index.ts";
export * from "./actuators/index.ts";
export * from "./pipelines/index.ts";

/** Every error code PTS reports, with a description and how to solve it (the README's table). */
export const ERROR_CODES = {
  ...RUNTIME_ERROR_CODES,
  ...TRANSPORT_ERROR_CODES,
  ...CHANNEL_ERROR_CODES,
  ...RVM_ERROR_CODES,
  ...SENSOR_ERROR_CODES,
  ...ACTUATOR_ERROR_CODES,
  ...PIPELINE_ERROR_CODES,
};
