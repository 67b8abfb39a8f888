/**
 * Test helper: a nats-server, a host runtime, a client runtime and a plain nats.js connection
 * (to watch subjects or send hand-made messages), all stopped at the test's teardown.
 */
import type { Test } from "tap";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Runtime, type RuntimeOptions } from "../../../index.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";

export async function hostAndClient(t: Test, natsArgs: string[] = [], hostOptions: Omit<RuntimeOptions, "nats"> = {}): Promise<{ host: Runtime; client: Runtime; nc: NatsConnection }> {
  const nats = await startNatsServer({ args: natsArgs });
  t.teardown(() => nats.stop());
  const host = await Runtime.start({ ...hostOptions, nats: nats.url });
  const client = await Runtime.start({ nats: nats.url });
  const nc = await connect({ servers: nats.url });
  t.teardown(async () => {
    await nc.close();
    await client.stop();
    await host.stop();
  });
  return { host, client, nc };
}
