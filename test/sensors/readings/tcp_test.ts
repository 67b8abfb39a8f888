import { createServer, type Server, type Socket } from "node:net";
import t from "tap";
import { TcpSource } from "../../../sensors/readings/index.ts";
import { runtime } from "../../helpers.ts";
import { until } from "../../helpers.ts";

/** A line server on 127.0.0.1 that hands each connection to onConnection. */
function listen(port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

t.test("tcp - a server that disconnects and comes back: reconnects counted, readings resume", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<{ seq: number }>("tcp readings");
  const first: Server = await listen(0, (socket) => {
    first.close(); // one connection only: reconnecting is refused until the server comes back
    socket.write('{"seq": 1}\n{"seq": 2}\nnot json\n{"seq": 3}\n{"seq": 4, "cut');
    socket.end();
  });
  const port = (first.address() as { port: number }).port;
  const source = new TcpSource({ channel: ch, port, backoff: { initialMs: 5, maxMs: 20 } });
  t.teardown(() => source.stop());
  await source.start();
  await until(() => source.stats().readings === 3);
  await until(() => source.stats().errors.connection >= 1);
  t.equal(source.stats().errors.truncated, 1, "the partial line at the disconnect");
  t.equal(source.stats().errors.malformed, 1);
  t.equal(source.stats().connected, false, "down while the server is away");

  let closed: Promise<unknown> = Promise.resolve();
  const back = await listen(port, (socket) => {
    closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write('{"seq": 5}\n{"seq"');
    setImmediate(() => socket.write(': 6}\n'));
  });
  t.teardown(() => close(back));
  await until(() => source.stats().readings === 5);
  t.equal(source.stats().reconnects, 1);
  t.equal(source.stats().connected, true);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value.seq), [1, 2, 3, 5, 6]);
  await source.stop();
  await closed;
  t.pass("stop closed the connection");
});

t.test("tcp - nothing listening: connection errors counted, never fatal", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("tcp nobody");
  const probe = await listen(0, () => undefined);
  const port = (probe.address() as { port: number }).port;
  await close(probe);
  const errors: string[] = [];
  const source = new TcpSource({ channel: ch, port, backoff: { initialMs: 1, maxMs: 5 }, onError: (_r, m) => errors.push(m) });
  await source.start();
  await until(() => source.stats().errors.connection >= 3);
  await source.stop();
  t.match(errors[0], /cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  t.equal(source.stats().readings, 0);
  t.equal(source.stats().running, false);
});

t.test("tcp - a slow channel pushes back: rate-limited readings all arrive in order", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("tcp paced");
  const server = await listen(0, (socket) => socket.end(Array.from({ length: 20 }, (_, i) => `${i}\n`).join("")));
  t.teardown(() => close(server));
  const source = new TcpSource({ channel: ch, port: (server.address() as { port: number }).port, rate: { perSecond: 500, burst: 1 } });
  t.teardown(() => source.stop());
  await source.start();
  await until(() => source.stats().readings === 20);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value), Array.from({ length: 20 }, (_, i) => i));
  t.equal(source.stats().dropped, 0);
});
