// `npm start` runs the real demo on the embedded runtime, and stops cleanly with --for.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import t from "tap";

const run = promisify(execFile);
const demo = new URL("../../bin/demo.ts", import.meta.url).pathname;

t.test("demo - produces readings, detects jumps and stops cleanly", async (t) => {
  const { stdout } = await run(process.execPath, ["--import", "tsx", demo, "--for", "2500ms"], { timeout: 60_000 });
  const status = stdout.split("\n").filter((l) => l.startsWith("status"));
  t.ok(status.length >= 2, "a status line every second");
  const last = status.at(-1) ?? "";
  const puts = Number(/sensors\.temperature: (\d+) puts/.exec(last)?.[1]);
  t.ok(puts >= 20, `temperature readings were put (${puts})`);
  t.match(last, /sensors\.humidity: \d+ puts/);
  t.match(stdout, /^alert .* temperature \d+\.\d+ vs average/m, "the periodic spike raised an alert");
  t.match(stdout, /demo: stopped cleanly/);
});
