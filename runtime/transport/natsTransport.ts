/**
 * NatsTransport: the Transport interface over a real NATS connection (nats.js), with
 * reconnection, drain on close, status events, and every client error mapped to a
 * TransportError in one place.
 *
 * Options pass through to nats.js: servers, token, user/pass, nkey seed, creds file, TLS CA,
 * cert and key. `NATS_URL` and `NATS_CREDS` fill in servers and creds when they are not given.
 * By default it reconnects forever, backing off from 250 ms with jitter. A subscription handler
 * that throws is reported as an "error" status; it never closes the connection.
 *
 * @example
 *   const t = await connectNats({ servers: "nats://127.0.0.1:4222", credsFile: "user.creds" });
 */
import { readFileSync } from "node:fs";
import {
  type Authenticator,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type Status,
  connect,
  credsAuthenticator,
  errors,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import { InvalidOptionError } from "../errors.ts";
import { TransportError } from "./errors.ts";
import type { Subscription, Transport, TransportMsg, TransportStatus } from "./types.ts";

export type NatsOptions = {
  /** Server URL(s). Default: $NATS_URL, else nats://127.0.0.1:4222. */
  servers?: string | string[];
  token?: string;
  user?: string;
  pass?: string;
  /** An nkey seed ("SU..."). */
  nkeySeed?: string;
  /** A creds file (JWT + nkey). Default: $NATS_CREDS. */
  credsFile?: string;
  /** TLS: true for the system CAs, or files for a private CA and client certificates. */
  tls?: true | { caFile?: string; certFile?: string; keyFile?: string };
  /** Client name shown in the server's monitoring. */
  name?: string;
  connectTimeoutMs?: number;
  /** -1 (default) reconnects forever. */
  maxReconnectAttempts?: number;
  reconnectTimeWaitMs?: number;
};

const OPTION_KEYS = new Set(["servers", "token", "user", "pass", "nkeySeed", "credsFile", "tls", "name", "connectTimeoutMs", "maxReconnectAttempts", "reconnectTimeWaitMs"]);

export async function connectNats(spec: string | string[] | NatsOptions): Promise<NatsTransport> {
  const options: NatsOptions = typeof spec === "string" || Array.isArray(spec) ? { servers: spec } : spec;
  const conn = toConnectionOptions(options);
  try {
    return new NatsTransport(await connect(conn));
  } catch (err) {
    const message = (err as Error).message;
    // A server requiring client certificates drops a client without one at the handshake.
    const hint = /timeout/i.test(message) && conn.tls ? " (with TLS: does the server require a client certificate? pass tls.certFile and tls.keyFile)" : "";
    throw new TransportError("PTS_NATS_CONNECT", `cannot connect to NATS at ${[conn.servers].flat().join(", ")}: ${message}${hint}`, err);
  }
}

function toConnectionOptions(o: NatsOptions): ConnectionOptions {
  if (typeof o !== "object" || o === null) throw new InvalidOptionError("nats", o, "a URL, a list of URLs, or NATS options");
  for (const key of Object.keys(o)) if (!OPTION_KEYS.has(key)) throw new InvalidOptionError(`nats.${key}`, (o as Record<string, unknown>)[key], `one of ${[...OPTION_KEYS].join(", ")}`);
  const servers = o.servers ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const authenticators: Authenticator[] = [];
  const credsFile = o.credsFile ?? process.env.NATS_CREDS;
  if (credsFile) {
    let creds: Buffer;
    try {
      creds = readFileSync(credsFile);
    } catch (err) {
      const from = o.credsFile ? "nats.credsFile" : "NATS_CREDS";
      throw new TransportError("PTS_NATS_CONNECT", `cannot read the creds file ${credsFile} (from ${from}): ${(err as Error).message}`, err);
    }
    authenticators.push(credsAuthenticator(creds));
  }
  if (o.nkeySeed) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(o.nkeySeed)));
  const conn: ConnectionOptions = {
    servers,
    name: o.name ?? "pts",
    token: o.token,
    user: o.user,
    pass: o.pass,
    timeout: o.connectTimeoutMs ?? 5000,
    maxReconnectAttempts: o.maxReconnectAttempts ?? -1,
    reconnectTimeWait: o.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    // nats.js otherwise builds an Error with a stack for every request: ~11% of client CPU at 64 in flight.
    noAsyncTraces: true,
  };
  if (authenticators.length > 0) conn.authenticator = authenticators;
  if (o.tls) conn.tls = o.tls === true ? {} : { ...o.tls };
  return conn;
}

/** Turns a nats.js error into a TransportError; `what` says what was being done. */
export function natsError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as Error;
  if (err instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders())) return new TransportError("PTS_NATS_NO_RESPONDERS", `${what}: no responders`, err);
  if (err instanceof errors.TimeoutError || (err instanceof errors.RequestError && /timeout/i.test(e.message))) return new TransportError("PTS_NATS_TIMEOUT", `${what}: timed out`, err);
  if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) return new TransportError("PTS_NATS_CLOSED", `${what}: the connection is closed`, err);
  if (err instanceof errors.PermissionViolationError || err instanceof errors.AuthorizationError) return new TransportError("PTS_NATS_PERMISSION", `${what}: ${e.message}`, err);
  return new TransportError("PTS_NATS", `${what}: ${e?.message ?? String(err)}`, err);
}

export class NatsTransport implements Transport {
  private readonly listeners = new Set<(s: TransportStatus) => void>();
  private isConnected = true;

  constructor(private readonly nc: NatsConnection) {
    void this.watch();
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  get connected(): boolean {
    return this.isConnected && !this.nc.isClosed();
  }

  onRequest?: (seconds: number) => void;

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const start = this.onRequest && performance.now();
    try {
      return (await this.nc.request(subject, data, { timeout: timeoutMs })).data;
    } catch (err) {
      throw natsError(err, `request on ${subject}`);
    } finally {
      if (start !== undefined) this.onRequest!((performance.now() - start) / 1000);
    }
  }

  async requestMany(subject: string, data: Uint8Array, maxWaitMs: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    try {
      for await (const m of await this.nc.requestMany(subject, data, { strategy: "timer", maxWait: maxWaitMs })) out.push(m.data);
    } catch (err) {
      const mapped = natsError(err, `request on ${subject}`);
      if (mapped.code !== "PTS_NATS_NO_RESPONDERS" && mapped.code !== "PTS_NATS_TIMEOUT") throw mapped;
    }
    return out;
  }

  publish(subject: string, data: Uint8Array): void {
    try {
      this.nc.publish(subject, data);
    } catch (err) {
      throw natsError(err, `publish on ${subject}`);
    }
  }

  subscribe(subject: string, handler: (msg: TransportMsg) => void): Subscription {
    try {
      return this.nc.subscribe(subject, {
        callback: (err: Error | null, msg: Msg) => {
          if (err) return this.emit({ type: "error", error: natsError(err, `subscription on ${subject}`) });
          try {
            handler({ subject: msg.subject, data: msg.data, expectsReply: msg.reply !== undefined && msg.reply !== "", respond: (d) => void msg.respond(d) });
          } catch (error) {
            // nats.js closes the connection's reader when a callback throws: one malformed
            // message from anyone on the subject would cut this runtime off.
            this.emit({ type: "error", error: error instanceof Error ? error : new Error(String(error)) });
          }
        },
      });
    } catch (err) {
      throw natsError(err, `subscribe on ${subject}`);
    }
  }

  onStatus(handler: (s: TransportStatus) => void): () => void {
    this.listeners.add(handler);
    return () => this.listeners.delete(handler);
  }

  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (err) {
      throw natsError(err, "flush");
    }
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }

  private emit(s: TransportStatus): void {
    for (const l of this.listeners) l(s);
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status() as AsyncIterable<Status>) {
      if (s.type === "disconnect") {
        this.isConnected = false;
        this.emit({ type: "disconnected", server: s.server });
      } else if (s.type === "reconnecting") this.emit({ type: "reconnecting" });
      else if (s.type === "reconnect") {
        this.isConnected = true;
        this.emit({ type: "reconnected", server: s.server });
      } else if (s.type === "error") this.emit({ type: "error", error: natsError(s.error, "connection") });
    }
    this.isConnected = false;
    this.emit({ type: "closed" });
  }
}
