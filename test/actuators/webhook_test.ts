import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import { WebhookActuator, attach, type DeadLetter } from "../../actuators/index.ts";
import { runtime } from "../helpers.ts";
import { freePort } from "../helpers/natsServer.ts";
import { until } from "../helpers.ts";

type Received = { method: string | undefined; type: string | undefined; body: unknown };

/** A real HTTP server on 127.0.0.1: respond(n, res) answers the n-th request (from 1), or never. */
async function hookServer(t: Test, respond: (n: number, res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ method: req.method, type: req.headers["content-type"], body: JSON.parse(body) as unknown });
      respond(received.length, res);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    srv.close(() => resolve());
    srv.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, received };
}

const fast = { initialMs: 1, maxMs: 5 };

t.test("webhook - a server that fails with 500s and then answers: retried, succeeds", async (t) => {
  const { url, received } = await hookServer(t, (n, res) => {
    res.writeHead(n < 3 ? 500 : 204, n < 3 ? "Internal Server Error" : "No Content");
    res.end(n < 3 ? "database down" : undefined);
  });
  const hook = new WebhookActuator<{ zone: string; jpeg: Buffer }>({ url, attempts: 4, backoff: fast });
  const outcome = await hook.handle({ ts: 1_764_064_800_000_000, value: { zone: "gate", jpeg: Buffer.from([1, 2, 3]) } });
  t.match(outcome, { status: "ok", attempts: 3, resultCode: 204 });
  t.equal(received.length, 3);
  t.same(received[2], { method: "POST", type: "application/json", body: { ts: 1_764_064_800_000_000, time: "2025-11-25T10:00:00.000000Z", value: { zone: "gate", jpeg: "AQID" } } });
  const s = hook.stats();
  t.same([s.handled, s.outcomes.ok, s.retries, s.inFlight], [1, 1, 2, 0]);
  t.ok(s.latency.count === 1 && s.latency.sumMs > 0);
});

t.test("webhook - a slow server: each attempt times out, retried, then dead-lettered", async (t) => {
  const rt = await runtime(t);
  const dead = await rt.channel<DeadLetter>("dead letters");
  const { url, received } = await hookServer(t, () => undefined); // never answers
  // Long enough for each attempt's body to reach the server however loaded the machine is.
  const hook = new WebhookActuator({ url, timeoutMs: 1000, attempts: 2, backoff: fast, deadLetter: dead });
  const outcome = await hook.handle({ ts: 42, value: { alarm: true } });
  t.match(outcome, { status: "dead_lettered", reason: "timeout", attempts: 2, error: "webhook: no result within 1000 ms" });
  await until(() => received.length === 2);
  t.pass("both attempts reached the server");
  const letter = await dead.get("newest");
  t.match(letter?.value, { actuator: "webhook", item: { ts: 42, value: { alarm: true } }, reason: "timeout", attempts: 2 });
  t.match(letter?.value.failedAt, /^\d{4}-\d\d-\d\dT.*Z$/);
  t.same([hook.stats().outcomes.dead_lettered, hook.stats().failures.timeout], [1, 1]);
  const noDeadLetter = new WebhookActuator({ url, timeoutMs: 50, attempts: 1 });
  t.match(await noDeadLetter.handle({ ts: 43, value: 1 }), { status: "timed_out", reason: "timeout" });
});

t.test("webhook - a server that is down: connection refused, dead-lettered with a clear error", async (t) => {
  const rt = await runtime(t);
  const dead = await rt.channel<DeadLetter>("dead letters");
  const url = `http://127.0.0.1:${await freePort()}/hook`;
  const hook = new WebhookActuator({ name: "alerts hook", url, attempts: 3, backoff: fast, deadLetter: dead });
  const outcome = await hook.handle({ ts: 7, value: "x" });
  t.match(outcome, { status: "dead_lettered", reason: "connection", attempts: 3 });
  if (outcome.status !== "ok") t.equal(outcome.error, `POST ${url} failed: connection refused: nothing listens there; is the server up? (ECONNREFUSED)`);
  t.match((await dead.get("newest"))?.value, { actuator: "alerts hook", reason: "connection", error: /ECONNREFUSED/ });
  t.equal(hook.stats().retries, 2);
});

t.test("webhook - a 4xx answer is not retried; attach feeds it a channel's live items", async (t) => {
  const rt = await runtime(t);
  const { url, received } = await hookServer(t, (n, res) => {
    res.writeHead(n === 1 ? 400 : 200);
    res.end(n === 1 ? "bad payload" : "ok");
  });
  const hook = new WebhookActuator({ url, backoff: fast, rate: { perSecond: 1000 } });
  t.match(await hook.handle({ ts: 1, value: null }), { status: "failed", reason: "http_status", attempts: 1, resultCode: 400, error: /answered 400 Bad Request: bad payload/ });

  const alerts = await rt.channel<number>("alerts");
  await alerts.put(0, 100); // before attach: not sent
  const outcomes: string[] = [];
  const attachment = attach(hook, alerts, { onOutcome: (o) => outcomes.push(o.status) });
  for (let i = 1; i <= 5; i++) await alerts.put(i, 100 + i);
  await until(() => outcomes.length === 5);
  await attachment.stop();
  t.same(received.slice(1).map((r) => (r.body as { value: number }).value), [1, 2, 3, 4, 5], "in timestamp order, each once");
  t.same(outcomes, ["ok", "ok", "ok", "ok", "ok"]);
  await alerts.put(6, 200);
  t.equal(hook.stats().handled, 6, "nothing after stop");
});
