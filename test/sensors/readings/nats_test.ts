import { connect, type NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { NatsSubjectSource } from "../../../sensors/readings/index.ts";
import { runtime } from "../../helpers.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";
import { until } from "../../helpers.ts";

/**
 * Publishes as a request until the source answers: a request finds "no responders" until the
 * source's subscription is registered on the server, so this is also the readiness check.
 */
async function requestUntilAnswered(nc: NatsConnection, subject: string, body: string): Promise<Record<string, unknown>> {
  for (;;) {
    try {
      const reply = await nc.request(subject, body, { timeout: 2000 });
      return reply.json<Record<string, unknown>>();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

t.test("nats subject - readings from outside publishers; malformed messages counted; reconnect after a server restart", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const rt = await runtime(t);
  const ch = await rt.channel<{ ts: number; v: number }>("nats readings");
  const source = new NatsSubjectSource({ channel: ch, servers: nats.url, subject: "sensors.>", timestamp: { field: "ts", unit: "us" } });
  t.teardown(() => source.stop());
  await source.start();

  const publisher = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  t.teardown(() => publisher.close());
  t.same(await requestUntilAnswered(publisher, "sensors.a", JSON.stringify({ ts: 1, v: 1 })), { accepted: 1, duplicates: 0, dropped: 0, rejected: 0, errors: [] });
  publisher.publish("sensors.b", "{broken");
  publisher.publish("sensors.b", JSON.stringify([{ ts: 2, v: 2 }, { ts: 3.5, v: 3 }, { ts: 4, v: 4 }]));
  publisher.publish("other.subject", JSON.stringify({ ts: 99, v: 99 }));
  const report = await requestUntilAnswered(publisher, "sensors.c", JSON.stringify({ ts: 5, v: 5 }));
  t.match(report, { accepted: 1 });
  t.same((await ch.get("oldest", "newest")).map((i) => i.value.v), [1, 2, 4, 5]);
  t.equal(source.stats().errors.malformed, 1);
  t.equal(source.stats().errors.timestamp, 1, "3.5 is not whole microseconds");
  t.equal(source.stats().reconnects, 0);

  await nats.restart();
  await until(() => source.stats().reconnects === 1);
  t.match(await requestUntilAnswered(publisher, "sensors.d", JSON.stringify({ ts: 6, v: 6 })), { accepted: 1 });
  t.equal(source.stats().connected, true);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value.v), [1, 2, 4, 5, 6], "readings resume after the restart");
  t.ok(source.stats().bytes > 50);
});

t.test("nats subject - no server yet: connection errors counted, connects when it appears", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  await nats.kill();
  const rt = await runtime(t);
  const ch = await rt.channel("nats late");
  const source = new NatsSubjectSource({ channel: ch, servers: nats.url, subject: "late", backoff: { initialMs: 10, maxMs: 50 } });
  t.teardown(() => source.stop());
  await source.start();
  await until(() => source.stats().errors.connection >= 1);
  t.equal(source.stats().connected, false);
  await nats.restart();
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  t.match(await requestUntilAnswered(nc, "late", "42"), { accepted: 1 });
  t.equal((await ch.get("newest"))?.value, 42);
  await source.stop();
  t.equal(source.stats().running, false);
});
