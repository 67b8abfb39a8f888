import t from "tap";
import { HttpIngestSource } from "../../../sensors/readings/index.ts";
import { runtime } from "../../helpers.ts";

async function post(url: string, body: string, method = "POST"): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method, body: method === "GET" ? undefined : body, headers: { "content-type": "application/json" } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test("http ingest - one reading or an array: 202 with counts", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<{ ts: string; temp: number }>("http readings");
  const source = new HttpIngestSource({ channel: ch, timestamp: { field: "ts", unit: "iso" } });
  t.teardown(() => source.stop());
  await source.start();
  t.match(source.url, /^http:\/\/127\.0\.0\.1:\d+\/readings$/);
  const one = await post(source.url, JSON.stringify({ ts: "2026-11-25T10:00:00Z", temp: 3.5 }));
  t.same(one, { status: 202, body: { accepted: 1, duplicates: 0, dropped: 0, rejected: 0, errors: [] } });
  const many = await post(source.url, JSON.stringify([
    { ts: "2026-11-25T10:00:01Z", temp: 4 },
    { ts: "2026-11-25T10:00:02.5Z", temp: 5 },
    { ts: "2026-11-25T10:00:00Z", temp: 9 },
  ]));
  t.equal(many.status, 202);
  t.match(many.body, { accepted: 2, duplicates: 1, rejected: 0 });
  const empty = await post(source.url, "[]");
  t.match(empty, { status: 202, body: { accepted: 0 } });
  const items = await ch.get("oldest", "newest");
  t.same(items.map((i) => i.value.temp), [3.5, 4, 5]);
  t.equal(items[2].ts, Date.parse("2026-11-25T10:00:02.5Z") * 1000);
  t.equal(source.stats().readings, 3);
  t.equal(source.stats().duplicates, 1);
});

t.test("http ingest - malformed input: 400 with a clear message, counted, server keeps serving", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("http bad");
  const source = new HttpIngestSource({ channel: ch, timestamp: { field: "t", unit: "ms" }, maxBodyBytes: 1000 });
  t.teardown(() => source.stop());
  await source.start();

  const notJson = await post(source.url, '{"t": 1, ');
  t.equal(notJson.status, 400);
  t.match(notJson.body.error, /body is not valid UTF-8 JSON .*send one reading as a JSON object or many as a JSON array/);

  const noTs = await post(source.url, '{"temp": 1}');
  t.equal(noTs.status, 400);
  t.match(noTs.body.error, /the reading was rejected: reading has no timestamp field "t" \(unit ms\)/);

  const allBad = await post(source.url, '[{"t": "x"}, {"t": -5}]');
  t.equal(allBad.status, 400);
  t.match(allBad.body, { error: /all 2 readings were rejected/, rejected: 2, errors: [{ index: 0, reason: "timestamp" }, { index: 1, reason: "timestamp" }] });

  const someBad = await post(source.url, '[{"t": 10}, {"oops": true}, {"t": 20}]');
  t.equal(someBad.status, 202, "an array with some bad readings is accepted in part");
  t.match(someBad.body, { accepted: 2, rejected: 1, errors: [{ index: 1, reason: "timestamp" }] });

  const big = await post(source.url, JSON.stringify({ t: 1, pad: "x".repeat(2000) }));
  t.equal(big.status, 413);
  t.match(big.body.error, /body over 1000 bytes/);

  const wrongPath = await post(source.url.replace("/readings", "/other"), "{}");
  t.equal(wrongPath.status, 404);
  const get = await post(source.url, "", "GET");
  t.equal(get.status, 405);

  const s = source.stats();
  t.equal(s.readings, 2);
  t.same([s.errors.malformed, s.errors.timestamp, s.errors.too_large], [1, 4, 1]);
  t.same((await ch.get("oldest", "newest")).map((i) => i.ts), [10_000, 20_000]);
});

t.test("http ingest - rate limit with drop counts dropped readings; stop closes the port", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("http limited");
  const source = new HttpIngestSource({ channel: ch, rate: { perSecond: 1, burst: 2, whenLimited: "drop" } });
  await source.start();
  const r = await post(source.url, JSON.stringify([1, 2, 3, 4, 5]));
  t.match(r, { status: 202, body: { accepted: 2, dropped: 3 } });
  t.equal(source.stats().dropped, 3);
  const url = source.url;
  await source.stop();
  await t.rejects(fetch(url, { method: "POST", body: "1" }), "nothing listens after stop");
});
