/**
 * Errors across the wire: a host sends { code, message }; the client raises an error of the
 * same class, so `instanceof DuplicateTimestampError` works on a remote put as on a local one.
 */
import { CodecError, FrameError, InvalidOptionError, InvalidTimestampError, PtsError, TransportError } from "../../runtime/index.ts";
import * as channelErrors from "../errors.ts";
import type { WireError } from "./protocol.ts";

type ErrorClass = { code: string; prototype: PtsError };

const classes = new Map<string, ErrorClass>();
for (const c of [...Object.values(channelErrors), CodecError, FrameError, InvalidOptionError, InvalidTimestampError]) {
  if (typeof c === "function" && typeof (c as unknown as ErrorClass).code === "string") classes.set((c as unknown as ErrorClass).code, c as unknown as ErrorClass);
}

export function toWire(err: unknown): WireError {
  if (err instanceof PtsError) return { code: err.code, message: err.message };
  return { code: "PTS_REMOTE", message: err instanceof Error ? err.message : String(err) };
}

/** An error of the class registered for the code (PtsError for codes this side does not know). */
export function fromWire(e: WireError, where: string): PtsError {
  const cls = classes.get(e.code);
  const message = `${e.message} (from ${where})`;
  if (!cls) return e.code.startsWith("PTS_NATS") ? new TransportError("PTS_NATS", message) : new PtsError(e.code, message);
  const err = Object.create(cls.prototype) as PtsError & { message: string; code: string; name: string; stack?: string };
  Object.defineProperties(err, {
    message: { value: message, writable: true, configurable: true },
    code: { value: e.code, enumerable: true },
    name: { value: (cls as unknown as { name: string }).name, writable: true, configurable: true },
  });
  Error.captureStackTrace(err, fromWire);
  return err;
}
