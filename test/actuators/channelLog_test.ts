import { PassThrough } from "node:stream";
import { firstValueFrom, from, take, toArray } from "rxjs";
import t from "tap";
import { ChannelActuator, LogActuator, actuate, attach } from "../../actuators/index.ts";
import { runtime } from "../helpers.ts";
import { until } from "../helpers.ts";

t.test("channel actuator - puts into another channel with the item's timestamp; a duplicate is not retried", async (t) => {
  const rt = await runtime(t);
  const out = await rt.channel<string>("channel out");
  const put = new ChannelActuator<number, string>({ channel: out, map: (i) => `value ${i.value}`, attempts: 3 });
  t.match(await put.handle({ ts: 10, value: 1 }), { status: "ok" });
  t.same(await out.get(10), { ts: 10, value: "value 1" });
  t.match(await put.handle({ ts: 10, value: 2 }), { status: "failed", reason: "put", attempts: 1, error: /put into "channel out" failed: .*already holds an item at ts 10/ });
  const stamped = new ChannelActuator<number>({ channel: await rt.channel<number>("stamped"), ts: "now" });
  t.match(await stamped.handle({ ts: 1, value: 5 }), { status: "ok" });
});

t.test("log actuator - one JSON or text line per item, binary as base64", async (t) => {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  const json = new LogActuator({ stream, name: "alerts" });
  await json.handle({ ts: 1_000_000, value: { zone: "gate", raw: Buffer.from("hi") } });
  const plain = new LogActuator({ stream, format: "text" });
  await plain.handle({ ts: 2_000_000, value: [1, "two"] });
  t.same(text.split("\n"), [
    '{"actuator":"alerts","ts":1000000,"time":"1970-01-01T00:00:01.000000Z","value":{"zone":"gate","raw":"aGk="}}',
    '1970-01-01T00:00:02.000000Z log [1,"two"]',
    "",
  ]);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  t.match(await json.handle({ ts: 3, value: cyclic }), { status: "failed", reason: "encode", attempts: 1 });
});

t.test("attach - from oldest, with concurrency; ends when the runtime stops", async (t) => {
  const rt = await runtime(t);
  const input = await rt.channel<number>("attach in");
  const output = await rt.channel<number>("attach out");
  for (let i = 0; i < 10; i++) await input.put(i, 1000 + i);
  const attachment = attach(new ChannelActuator({ channel: output }), input, { from: "oldest", concurrency: 4 });
  await until(() => output.stats().items === 10);
  await input.put(10, 2000);
  t.same(await output.next(1009), { ts: 2000, value: 10 });
  await rt.stop();
  await attachment.done;
  t.pass("done after the runtime stopped");
});

t.test("actuate - an rxjs operator emitting each item with its outcome; empty input", async (t) => {
  const rt = await runtime(t);
  const out = await rt.channel<number>("actuate out");
  const put = new ChannelActuator<number>({ channel: out });
  const results = await firstValueFrom(from([{ ts: 1, value: 1 }, { ts: 2, value: 2 }, { ts: 1, value: 3 }]).pipe(actuate(put), toArray()));
  t.same(results.map((r) => [r.item.ts, r.outcome.status]), [[1, "ok"], [2, "ok"], [1, "failed"]]);
  t.same(await firstValueFrom(from([]).pipe(actuate(put), toArray())), []);
  t.same((await firstValueFrom(from([{ ts: 5, value: 5 }, { ts: 6, value: 6 }]).pipe(actuate(put, 2), take(1)))).item.ts, 5);
});
