import { appendFile, rename, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { JsonLinesFileSource } from "../../../sensors/readings/index.ts";
import { runtime } from "../../helpers.ts";
import { tempDir, until } from "../../helpers.ts";

t.test("jsonl file - malformed lines, bad timestamps and duplicates are counted and skipped", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<{ ts: number; v: number }>("file readings");
  const path = join(await tempDir(t), "readings.jsonl");
  await writeFile(path, [
    '{"ts": 1000, "v": 1}',
    "not json at all",
    "",
    '{"ts": 2000, "v": 2}',
    '{"v": 3}',
    '{"ts": "yesterday", "v": 4}',
    '{"ts": 2000, "v": 5}',
    '{"ts": 3000.5, "v": 6}\r',
    '{"ts": 4000, "v": 7',
    '{"ts": 5000, "v": 8}',          // no newline at the end: still a reading
  ].join("\n"));
  const source = new JsonLinesFileSource({ channel: ch, path, timestamp: { field: "ts", unit: "ms" } });
  await source.start();
  await source.done();
  const items = await ch.get("oldest", "newest");
  t.same(items.map((i) => [i.ts, i.value.v]), [[1_000_000, 1], [2_000_000, 2], [3_000_500, 6], [5_000_000, 8]]);
  const s = source.stats();
  t.equal(s.readings, 4);
  t.equal(s.errors.malformed, 2, "two lines are not JSON");
  t.equal(s.errors.timestamp, 2, "one line without ts, one with a string ts");
  t.equal(s.duplicates, 1, "the second reading at 2000 ms");
  t.ok(s.bytes > 100, "bytes counted");
  t.equal(s.lastTs, 5_000_000);
  await source.stop();
  t.equal(source.stats().running, false);
});

t.test("jsonl file - an empty file gives no readings; a missing file fails start", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("empty file");
  const dir = await tempDir(t);
  await writeFile(join(dir, "empty.jsonl"), "");
  const source = new JsonLinesFileSource({ channel: ch, path: join(dir, "empty.jsonl") });
  await source.start();
  await source.done();
  t.equal(source.stats().readings, 0);
  t.equal((await ch.get("oldest", "newest")).length, 0);
  await t.rejects(new JsonLinesFileSource({ channel: ch, path: join(dir, "missing.jsonl") }).start(), { code: "ENOENT" });
});

t.test("jsonl file - follow reads appended lines, partial lines once complete, truncation and rotation", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<{ n: number }>("followed");
  const dir = await tempDir(t);
  const path = join(dir, "live.jsonl");
  await writeFile(path, '{"n": 1}\n');
  const source = new JsonLinesFileSource({ channel: ch, path, follow: true, pollMs: 10, map: (r) => r as { n: number } });
  t.teardown(() => source.stop());
  await source.start();
  await until(() => source.stats().readings === 1);
  await appendFile(path, '{"n": 2}\n{"n"');
  await until(() => source.stats().readings === 2);
  await appendFile(path, ': 3}\n');
  await until(() => source.stats().readings === 3);
  await truncate(path, 0);
  await appendFile(path, 'garbage\n{"n": 4}\n');
  await until(() => source.stats().readings === 4);
  await rename(path, join(dir, "live.jsonl.1"));
  await writeFile(path, '{"n": 5}\n');
  await until(() => source.stats().readings === 5);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value.n), [1, 2, 3, 4, 5]);
  t.equal(source.stats().errors.malformed, 1);
  t.equal(source.stats().connected, true);
  await source.stop();
  t.equal(source.stats().connected, false);
});

t.test("jsonl file - follow waits for a missing file, counting io errors", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("late file");
  const path = join(await tempDir(t), "later.jsonl");
  const source = new JsonLinesFileSource({ channel: ch, path, follow: true, pollMs: 10, backoff: { initialMs: 5, maxMs: 20 } });
  t.teardown(() => source.stop());
  await source.start();
  await until(() => source.stats().errors.io >= 1);
  await writeFile(path, '{"x": 1}\n');
  await until(() => source.stats().readings === 1);
  t.pass("the file was picked up once it appeared");
});

t.test("jsonl file - a line over maxLineBytes is skipped as too_large", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("big lines");
  const path = join(await tempDir(t), "big.jsonl");
  await writeFile(path, `{"a": 1}\n{"pad": "${"x".repeat(500)}"}\n{"a": 2}\n`);
  const source = new JsonLinesFileSource({ channel: ch, path, maxLineBytes: 100 });
  await source.start();
  await source.done();
  t.equal(source.stats().readings, 2);
  t.equal(source.stats().errors.too_large, 1);
});

t.test("jsonl file - stop before the end ends reading", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("stopped early");
  const path = join(await tempDir(t), "many.jsonl");
  await writeFile(path, Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i })).join("\n"));
  const source = new JsonLinesFileSource({ channel: ch, path, rate: { perSecond: 100, burst: 1 } });
  await source.start();
  await until(() => source.stats().readings >= 1);
  await source.stop();
  await source.done();
  t.ok(source.stats().readings < 1000, "the rate limit held it back and stop ended it");
});
