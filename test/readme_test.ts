// Every ```ts example in the README runs as written, as a module importing "pts".
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { type NatsServer, startNatsServer } from "./helpers/natsServer.ts";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
// Inside the package, so that `import ... from "pts"` resolves to this checkout.
const dir = join(root, ".tap", "readme-examples");

// Examples that use NATS read NATS_URL, as users' programs do; a real server is started for them.
let nats: NatsServer | undefined;
t.before(async () => {
  mkdirSync(dir, { recursive: true });
  nats = await startNatsServer();
});
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await nats?.stop();
});

t.test("readme - has runnable examples", async (t) => {
  t.ok(examples.length >= 6, `${examples.length} examples`);
});

examples.forEach((code, i) => {
  const title = code.split("\n").find((l) => !l.startsWith("import") && l.trim() !== "")?.slice(0, 60);
  t.test(`readme - example ${i + 1} runs: ${title}`, async (t) => {
    const file = join(dir, `example-${i + 1}.mts`);
    writeFileSync(file, code);
    const env = { ...process.env, NATS_URL: nats!.url };
    const result = await run(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 60_000, env }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    t.equal(result.code, 0, result.stderr);
  });
});
