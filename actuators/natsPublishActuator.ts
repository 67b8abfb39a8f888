/**
 * NatsPublishActuator: publishes each item as JSON on a NATS subject, and confirms that the
 * server has it (a flush round trip) before the outcome is "ok".
 *
 * Guarantees:
 * - The payload is `{ ts, time, value }` (or what `payload(item)` returns) as JSON, binary values
 *   as base64. The subject may depend on the item.
 * - Connects on first use with the URL given (or uses the connection you pass, which it then does
 *   not close); the client reconnects by itself. While the server is away, attempts end as
 *   "timeout" or "connection" and are retried, then dead-lettered. A payload over the server's
 *   max_payload fails with reason "publish" and is not retried.
 * - Core NATS delivers at most once to the subscribers present when the message arrives.
 *
 * @example
 *   const pub = new NatsPublishActuator({ servers: "nats://127.0.0.1:4222", subject: (i) => `alerts.${i.value.zone}` });
 *   attach(pub, await rt.lookup("alerts"));
 *
 * @param servers     NATS URL(s), or
 * @param nc          an open nats.js connection to use
 * @param subject     the subject, or a function of the item
 * @param payload     the JSON payload for an item (default `{ ts, time, value }`)
 * @param connection  more nats.js connection options (token, user, pass, tls …)
 */
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { Item } from "../channels/index.ts";
import { InvalidOptionError } from "../runtime/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import { eventOf, toJson } from "./actuatorInternals.ts";
import type { ActuatorOptions } from "./types.ts";

export type NatsPublishActuatorOptions<T> = ActuatorOptions & {
  servers?: string | string[];
  nc?: NatsConnection;
  subject: string | ((item: Item<T>) => string);
  payload?: (item: Item<T>) => unknown;
  connection?: Omit<NodeConnectionOptions, "servers">;
};

export class NatsPublishActuator<T = unknown> extends BaseActuator<T> {
  private readonly servers: string | string[] | undefined;
  private readonly connection: Omit<NodeConnectionOptions, "servers">;
  private readonly subject: (item: Item<T>) => string;
  private readonly payload: (item: Item<T>) => unknown;
  private readonly owned: boolean;
  private nc: Promise<NatsConnection> | undefined;

  constructor(options: NatsPublishActuatorOptions<T>) {
    super("nats-publish", options);
    if (!options.nc && options.servers === undefined) throw new InvalidOptionError("servers", undefined, "a NATS URL, or an open connection as nc");
    const subject = options.subject;
    this.subject = typeof subject === "string" ? () => subject : subject;
    this.payload = options.payload ?? eventOf;
    this.servers = options.servers;
    this.connection = options.connection ?? {};
    this.owned = !options.nc;
    if (options.nc) this.nc = Promise.resolve(options.nc);
  }

  private connect(): Promise<NatsConnection> {
    this.nc ??= connect({ name: `pts ${this.name}`, reconnectTimeWait: 250, ...this.connection, servers: this.servers!, maxReconnectAttempts: -1 }).catch((err: unknown) => {
      this.nc = undefined;
      throw new ActuatorError("connection", `cannot connect to NATS at ${String(this.servers)}: ${(err as Error).message}`, { cause: err });
    });
    return this.nc;
  }

  protected override async attempt(item: Item<T>, signal: AbortSignal): Promise<void> {
    const data = toJson(this.payload(item));
    const nc = await this.connect();
    if (signal.aborted) throw signal.reason;
    const subject = this.subject(item);
    try {
      nc.publish(subject, data);
    } catch (err) {
      throw new ActuatorError("publish", `cannot publish on ${JSON.stringify(subject)}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
    try {
      await nc.flush();
    } catch (err) {
      throw new ActuatorError("connection", `NATS did not confirm the publish on ${JSON.stringify(subject)}: ${(err as Error).message}`, { cause: err });
    }
  }

  protected override async dispose(): Promise<void> {
    if (!this.owned || !this.nc) return;
    const nc = await this.nc.catch(() => undefined);
    if (nc && !nc.isClosed()) await nc.close();
  }
}
