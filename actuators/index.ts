/**
 * The public entry of the actuators: channels → the world. Webhook, file/snapshot writer, NATS
 * publish, exec, channel and log actuators; attach() and the actuate() operator to feed them;
 * BaseActuator to write your own.
 */
export { BaseActuator } from "./baseActuator.ts";
export { WebhookActuator, type WebhookActuatorOptions } from "./webhookActuator.ts";
export { FileWriterActuator, type FileWriterActuatorOptions } from "./fileWriterActuator.ts";
export { NatsPublishActuator, type NatsPublishActuatorOptions } from "./natsPublishActuator.ts";
export { ExecActuator, type ExecActuatorOptions } from "./execActuator.ts";
export { ChannelActuator, type ChannelActuatorOptions } from "./channelActuator.ts";
export { LogActuator, type LogActuatorOptions } from "./logActuator.ts";
export { attach } from "./attach.ts";
export { actuate, type Actuated } from "./actuate.ts";
export { ACTUATOR_ERROR_CODES, ActuatorError } from "./errors.ts";
export type * from "./types.ts";
