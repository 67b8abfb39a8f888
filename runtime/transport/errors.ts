/**
 * The transport layer's errors: every failure of the NATS client is turned into one of these
 * in one place (natsTransport.ts), so callers match on codes, never on client internals.
 */
import { PtsError } from "../errors.ts";

/** Every code of the transport layer: description and how to solve. Keys equal codes. */
export const TRANSPORT_ERROR_CODES = {
  PTS_NATS_CONNECT: {
    description: "The NATS server could not be reached or refused the connection (wrong URL, server down, bad credentials or TLS).",
    solve: "Check the URL (or NATS_URL), that nats-server runs, and the credentials and TLS files; the message names the cause.",
  },
  PTS_NATS_NO_RESPONDERS: {
    description: "Nobody listens on the subject: no runtime hosts that channel now.",
    solve: "Start the runtime that hosts the channel (pts serve), or check the channel name and namespace.",
  },
  PTS_NATS_TIMEOUT: {
    description: "A request got no answer in time (the host is busy or unreachable, or NATS is reconnecting). A put that timed out may or may not have been stored.",
    solve: "Retry; a put retried with the same timestamp is detected as a duplicate, so it is never stored twice.",
  },
  PTS_NATS_CLOSED: {
    description: "The NATS connection is closed or draining (the runtime is stopping).",
    solve: "Start a new runtime.",
  },
  PTS_NATS_PERMISSION: {
    description: "The NATS server refused a publish or subscribe on a subject (authorization).",
    solve: "Grant the user permission on pts.<namespace>.> subjects.",
  },
  PTS_FRAME: {
    description: "A message on a PTS subject that is not a well-formed PTS frame (another program publishing there, or incompatible PTS versions).",
    solve: "Keep other publishers off pts.<namespace>.> subjects; run the same PTS version on every host.",
  },
  PTS_NATS: {
    description: "Any other NATS client error; the cause carries the client's own error.",
    solve: "See the cause; check the nats-server log.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

export type TransportErrorCode = keyof typeof TRANSPORT_ERROR_CODES;

export class TransportError extends PtsError {
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, cause?: unknown) {
    super(code, `${message}. ${TRANSPORT_ERROR_CODES[code].solve}`, { cause });
  }
}
