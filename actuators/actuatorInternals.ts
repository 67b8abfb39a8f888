/**
 * Shared logic of the actuators: the event as JSON (binary values as base64), and errors of
 * Node's network calls turned into clear ActuatorErrors. Not a public entry.
 */
import type { Item } from "../channels/index.ts";
import { toIso } from "../runtime/index.ts";
import { ActuatorError } from "./errors.ts";

/**
 * JSON text of a value, with every Buffer or Uint8Array as a base64 string (rather than
 * Buffer's `{ type, data: [...] }`). `bytes` may replace binary values otherwise.
 */
export function toJson(value: unknown, bytes: (b: Uint8Array, key: string) => unknown = base64): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      // JSON.stringify has already applied Buffer's toJSON to v; the holder still has the original.
      const raw = key === "" ? value : (this as Record<string, unknown>)[key];
      return raw instanceof Uint8Array ? bytes(raw, key) : v;
    });
  } catch (err) {
    throw new ActuatorError("encode", `the event cannot be serialized to JSON: ${(err as Error).message}`, { retryable: false, cause: err });
  }
  if (text === undefined) throw new ActuatorError("encode", `a ${typeof value} cannot be serialized to JSON`, { retryable: false });
  return text;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/** The event an actuator sends for an item: `{ ts, time, value }` (time: ISO-8601 of ts). */
export function eventOf<T>(item: Item<T>): { ts: number; time: string; value: T } {
  return { ts: item.ts, time: toIso(item.ts), value: item.value };
}

/** The error codes Node's sockets report, said plainly. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens there; is the server up?",
  ECONNRESET: "connection reset by the server",
  ENOTFOUND: "host not found (DNS)",
  EHOSTUNREACH: "host unreachable",
  ETIMEDOUT: "connection timed out",
  EPIPE: "the server closed the connection",
  UND_ERR_SOCKET: "the server closed the connection",
};

/** A fetch() failure as a retryable "connection" ActuatorError that names the cause. */
export function connectionError(what: string, err: unknown): ActuatorError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const plain = code && NETWORK_ERRORS[code] ? `${NETWORK_ERRORS[code]} (${code})` : cause?.message ?? (err as Error).message;
  return new ActuatorError("connection", `${what} failed: ${plain}`, { cause: err });
}
