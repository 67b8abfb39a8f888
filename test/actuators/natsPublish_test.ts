import { connect } from "@nats-io/transport-node";
import t from "tap";
import { NatsPublishActuator, type DeadLetter } from "../../actuators/index.ts";
import { runtime } from "../helpers.ts";
import { startNatsServer } from "../helpers/natsServer.ts";

t.test("nats publish - items as JSON on a subject of their own; confirmed by the server", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  const sub = nc.subscribe("alerts.>", { max: 2 });
  await nc.flush();
  const pub = new NatsPublishActuator<{ zone: string }>({ servers: nats.url, subject: (i) => `alerts.${i.value.zone}` });
  t.teardown(() => pub.close());
  t.match(await pub.handle({ ts: 1, value: { zone: "gate" } }), { status: "ok", attempts: 1 });
  t.match(await pub.handle({ ts: 2, value: { zone: "dock" } }), { status: "ok" });
  const got: [string, unknown][] = [];
  for await (const m of sub) got.push([m.subject, m.json()]);
  t.same(got, [["alerts.gate", { ts: 1, time: "1970-01-01T00:00:00.000001Z", value: { zone: "gate" } }], ["alerts.dock", { ts: 2, time: "1970-01-01T00:00:00.000002Z", value: { zone: "dock" } }]]);
});

t.test("nats publish - server down: attempts fail, the item is dead-lettered; nothing listening at first connect", async (t) => {
  const rt = await runtime(t);
  const dead = await rt.channel<DeadLetter>("nats dead");
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const pub = new NatsPublishActuator({ servers: nats.url, subject: "x", timeoutMs: 200, attempts: 2, backoff: { initialMs: 1 }, deadLetter: dead });
  t.teardown(() => pub.close());
  t.match(await pub.handle({ ts: 1, value: 1 }), { status: "ok" });
  await nats.kill();
  const outcome = await pub.handle({ ts: 2, value: 2 });
  t.match(outcome, { status: "dead_lettered", attempts: 2 });
  t.match((await dead.get("newest"))?.value, { actuator: "nats-publish", item: { ts: 2, value: 2 } });

  await nats.stop();
  const never = new NatsPublishActuator({ servers: nats.url, subject: "x", attempts: 1 });
  t.match(await never.handle({ ts: 3, value: 3 }), { status: "failed", reason: "connection", error: /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/ });
  await never.close();
});
