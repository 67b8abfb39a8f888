import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import t from "tap";

const child = fileURLToPath(new URL("./stdinChild.ts", import.meta.url));

t.test("stdin - lines piped into a process, split across writes, malformed ones skipped", async (t) => {
  const proc = spawn(process.execPath, ["--import", "tsx", child], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  proc.stdin.write('{"ts": 1, "a": 1}\n{"ts": 2,');
  proc.stdin.write(' "a": 2}\nnope\n{"ts": 1.5, "a": "é"}\n');
  proc.stdin.end('{"ts": 3, "a": 3}');
  t.equal(await exited, 0);
  const { values, stats } = JSON.parse(out) as { values: [number, { a: unknown }][]; stats: { readings: number; errors: { malformed: number } } };
  t.same(values.map(([ts, v]) => [ts, v.a]), [[1_000_000, 1], [1_500_000, "é"], [2_000_000, 2], [3_000_000, 3]]);
  t.equal(stats.readings, 4);
  t.equal(stats.errors.malformed, 1);
});

t.test("stdin - an empty input ends the source with no readings", async (t) => {
  const proc = spawn(process.execPath, ["--import", "tsx", child], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  proc.stdin.end();
  t.equal(await exited, 0);
  t.same(JSON.parse(out), { values: [], stats: { name: "stdin", running: false, connected: false, readings: 0, bytes: 0, errors: { malformed: 0, timestamp: 0, invalid: 0, too_large: 0, truncated: 0, put: 0, connection: 0, io: 0 }, duplicates: 0, dropped: 0, reconnects: 0 } });
});
