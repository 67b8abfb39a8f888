/**
 * A two-server NATS cluster on loopback for tests: A and B, each with a client port and a
 * cluster port, joined by routes to each other. Resolves once a message published on one
 * server reaches a subscriber on the other (the route is up).
 */
import { connect } from "@nats-io/transport-node";
import { type NatsServer, freePort, startNatsServer } from "./natsServer.ts";

export type NatsCluster = { a: NatsServer; b: NatsServer; stop(): Promise<void> };

export async function startNatsCluster(): Promise<NatsCluster> {
  const [routeA, routeB] = [await freePort(), await freePort()];
  const member = (own: number, other: number) => ["--cluster_name", "pts-test", "--cluster", `nats://127.0.0.1:${own}`, "--routes", `nats://127.0.0.1:${other}`];
  const a = await startNatsServer({ args: member(routeA, routeB) });
  const b = await startNatsServer({ args: member(routeB, routeA) });
  await routeUp(a.url, b.url);
  return { a, b, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}

async function routeUp(urlA: string, urlB: string): Promise<void> {
  const na = await connect({ servers: urlA });
  const nb = await connect({ servers: urlB });
  try {
    // A callback, not the async iterator: a next() left waiting by one try would make the
    // next try's next() throw "iterator is already yielding".
    let got = false;
    nb.subscribe("pts-test.route", { callback: () => void (got = true) });
    await nb.flush();
    for (let i = 0; i < 400 && !got; i++) {
      na.publish("pts-test.route");
      await na.flush();
      await new Promise((r) => setTimeout(r, 25));
    }
    if (got) return;
    throw new Error("the NATS cluster route did not come up within 10 s");
  } finally {
    await na.close();
    await nb.close();
  }
}
