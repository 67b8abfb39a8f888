// NatsTransport against a real nats-server: a subscription handler that throws (a malformed
// message from anyone on the subject) is reported as a status error and the connection lives on.
import t from "tap";
import { FrameError, type TransportStatus, connectNats, decodeMessage } from "../../../index.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";

t.test("natsTransport - a handler that throws is reported, and the connection keeps working", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const transport = await connectNats(nats.url);
  t.teardown(() => transport.close());
  const statuses: TransportStatus[] = [];
  transport.onStatus((s) => statuses.push(s));
  transport.subscribe("frames", (msg) => void decodeMessage(msg.data));
  transport.subscribe("echo", (msg) => msg.respond(msg.data));
  transport.publish("frames", new Uint8Array([1]));
  await transport.flush();
  const echoed = await transport.request("echo", new Uint8Array([7]), 5000);
  t.same([...echoed], [7], "requests still work after the handler threw");
  const errors = statuses.filter((s) => s.type === "error");
  t.equal(errors.length, 1);
  t.ok(errors[0].type === "error" && errors[0].error instanceof FrameError, "the handler's error, as a status event");
});
