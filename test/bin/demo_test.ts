// `npm start` runs the real main job: motion-alert on the synthetic camera, embedded; and
// `pts run` runs imperative scripts too.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";

const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;

t.test("demo - npm start detects the moving object, writes annotated events, and stops cleanly", async (t) => {
  const events = mkdtempSync(join(tmpdir(), "pts-events-"));
  t.teardown(() => rmSync(events, { recursive: true, force: true }));
  // Bounded by work, not time: it stops once 10 frames were processed, however loaded the machine.
  const { stdout, stderr } = await run("npm", ["start", "--silent", "--", "--items", "10", "--metrics-port", "0", "--", "--events", events], { cwd: root, timeout: 90_000 });
  t.match(stderr, /motion-alert running.*embedded/);
  t.match(stderr, /stopping \(items\)/, "--items ended it");
  t.match(stderr, /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, "says where metrics are served");
  t.match(stdout, /^motion .* synthetic #\d+ score \d\.\d+ boxes \d+,\d+ \d+x\d+/m, "motion events are printed");
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as { sense: { out: number }; process: { out: number }; actuate: { ok: number } };
  t.ok(summary.sense.out >= 10, `frames were sensed (${summary.sense.out})`);
  t.ok(summary.process.out >= 1 && summary.actuate.ok === summary.process.out, "every event was acted on");
  const files = readdirSync(events);
  const json = files.filter((f) => f.endsWith(".json"));
  t.equal(json.length, summary.process.out, "one event file per event");
  t.equal(files.filter((f) => f.endsWith(".jpg")).length, json.length, "each with its annotated snapshot");
  const event = JSON.parse(readFileSync(join(events, json[0]), "utf8")) as { value: { boxes: unknown[]; score: number } };
  t.ok(event.value.boxes.length > 0 && event.value.score > 0);
  const jpg = readFileSync(join(events, json[0].replace(/\.json$/, ".jpg")));
  t.same([jpg[0], jpg[1]], [0xff, 0xd8], "the snapshot is a JPEG");
});

t.test("demo - an imperative script runs under pts run and stops cleanly", async (t) => {
  const { stdout } = await run(process.execPath, ["bin/pts.js", "run", "pipelines/examples/imperative-loop.ts", "--for", "4s"], { cwd: root, timeout: 60_000 });
  const status = stdout.split("\n").filter((l) => l.startsWith("status"));
  t.ok(status.length >= 2, "a status line every second");
  const puts = Number(/sensors\.temperature: (\d+) puts/.exec(status.at(-1) ?? "")?.[1]);
  t.ok(puts >= 20, `temperature readings were put (${puts})`);
  t.match(stdout, /^alert .* temperature \d+\.\d+ vs average/m, "the periodic spike raised an alert");
  t.match(stdout, /imperative-loop: stopped cleanly/);
});
