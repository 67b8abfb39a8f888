/**
 * Channel names: any Unicode text a person would choose ("video channel", "cam.1/left", "*"),
 * of 1 to 255 UTF-8 bytes, without control characters.
 *
 * A name is never used as a path or a NATS subject as it is: the persistence and transport
 * layers encode it into a safe token, so a name can never escape the data directory or become
 * a wildcard. This check only keeps out names that cannot be displayed or stored sanely.
 */
import { InvalidChannelNameError } from "./errors.ts";

export const MAX_NAME_BYTES = 255;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function assertChannelName(name: unknown): asserts name is string {
  if (typeof name !== "string") throw new InvalidChannelNameError(name, "a channel name is a string");
  if (name.length === 0) throw new InvalidChannelNameError(name, "a channel name cannot be empty");
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) throw new InvalidChannelNameError(name, `longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
  if (CONTROL.test(name)) throw new InvalidChannelNameError(name, "control characters are not allowed");
}
