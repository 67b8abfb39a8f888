import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import t from "tap";

const run = promisify(execFile);
const bin = new URL("../../bin/pts.js", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

t.test("cli - --version prints the package version", async (t) => {
  const { stdout } = await run(process.execPath, [bin, "--version"]);
  t.equal(stdout.trim(), pkg.version);
});

t.test("cli - --help lists the commands", async (t) => {
  const { stdout } = await run(process.execPath, [bin, "--help"]);
  t.match(stdout, /usage: pts <command>/);
  t.match(stdout, /lrvm/);
});

t.test("cli - an unknown command fails with exit code 2 and says what to do", async (t) => {
  const err = await run(process.execPath, [bin, "frobnicate"]).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 2);
  t.match(err?.stderr, /unknown command "frobnicate".*pts --help/);
});

t.test("cli - pts channels refuses a --wait that is not a positive duration, before it connects", async (t) => {
  const err = await run(process.execPath, [bin, "channels", "--nats", "nats://127.0.0.1:1", "--wait", "0s"]).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 1);
  t.match(err?.stderr, /PTS_INVALID_OPTION: invalid option --wait="0s": expected a positive duration/);
});
