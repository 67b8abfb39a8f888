/**
 * NatsSubjectSource: subscribes to a NATS subject that outside publishers write readings to, and
 * puts them into a channel. A message holds one JSON reading or a JSON array of readings.
 *
 * Guarantees:
 * - Uses nats.js directly with the URL given; auth and TLS options pass through `connection`.
 * - Reconnects forever: the client reconnects by itself after a lost server (counted in
 *   `stats().reconnects`, and the subscription resumes), and a failed first connection or a
 *   closed connection is retried with backoff (counted under errors.connection).
 * - A malformed message or reading is counted in `stats().errors` and skipped, never fatal.
 * - A message with a reply subject (`nc.request`) is answered with the ingest report
 *   `{ accepted, duplicates, dropped, rejected, errors }`, as the HTTP endpoint answers.
 * - Core NATS is at-most-once: messages published while the source is disconnected are lost.
 *   With `queue`, several sources share the subject's messages.
 *
 * @example
 *   const source = new NatsSubjectSource({ channel: await rt.channel("weather"),
 *     servers: "nats://127.0.0.1:4222", subject: "sensors.weather.>", timestamp: { field: "ts", unit: "iso" } });
 *   await source.start();
 *   // nats pub sensors.weather.roof '{"ts":"2026-11-25T10:00:00Z","temp":3.5}'
 *
 * @param servers     NATS URL(s)
 * @param subject     the subject, wildcards allowed
 * @param queue       a queue group name, to share the messages among sources
 * @param connection  more nats.js connection options (token, user, pass, tls, authenticator …)
 */
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { SourceBase } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";

export type NatsSubjectSourceOptions<T> = SourceOptions<T> & {
  servers: string | string[];
  subject: string;
  queue?: string;
  connection?: Omit<NodeConnectionOptions, "servers">;
};

export class NatsSubjectSource<T = unknown> extends SourceBase<T> {
  readonly subject: string;
  private readonly servers: string | string[];
  private readonly queue: string | undefined;
  private readonly connection: Omit<NodeConnectionOptions, "servers">;

  constructor(options: NatsSubjectSourceOptions<T>) {
    super("nats-subject", options);
    this.servers = options.servers;
    this.subject = options.subject;
    this.queue = options.queue;
    this.connection = options.connection ?? {};
  }

  protected override run(signal: AbortSignal): Promise<void> {
    return this.reconnecting(signal, async (signal, connected) => {
      const nc = await connect({ reconnectTimeWait: 250, name: `pts ${this.name}`, ...this.connection, servers: this.servers, maxReconnectAttempts: -1 });
      const onAbort = () => void nc.close();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        connected();
        void this.watch(nc);
        const sub = nc.subscribe(this.subject, this.queue === undefined ? {} : { queue: this.queue });
        for await (const m of sub) {
          const report = await this.ingest.body(m.data, signal);
          if (m.reply) m.respond(JSON.stringify(report));
        }
        const err = await nc.closed();
        if (err && !signal.aborted) throw err;
      } finally {
        signal.removeEventListener("abort", onAbort);
        if (!nc.isClosed()) await nc.close();
      }
    });
  }

  /** Follows the client's own reconnects: counted, and reflected in stats().connected. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") this.connected = false;
      else if (s.type === "reconnect") {
        this.connected = true;
        this.ingest.counters.reconnects++;
      }
    }
  }
}
