/**
 * `npm test` runs this first: it makes sure the programs the tests need are installed, and
 * installs missing ones from Debian's packages (as root, with apt-get). When that is not
 * possible it fails, saying what to install: tests never skip for a missing service.
 */
import { spawnSync } from "node:child_process";

const needed: { bin: string; pkg: string; why: string }[] = [
  { bin: "nats-server", pkg: "nats-server", why: "NATS transport tests run a real nats-server on loopback" },
  { bin: "ffmpeg", pkg: "ffmpeg", why: "camera tests read real ffmpeg MJPEG output" },
  { bin: "chromium", pkg: "chromium", why: "the live view test opens the page in Debian's headless Chromium (playwright-core)" },
  { bin: "prometheus", pkg: "prometheus", why: "the Grafana dashboard test evaluates every panel query in a real Prometheus (promtool comes with it)" },
];

const has = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
const missing = needed.filter((n) => !has(n.bin));

if (missing.length > 0) {
  const pkgs = missing.map((m) => m.pkg);
  process.stderr.write(`test setup: installing ${pkgs.join(", ")} from Debian's packages\n`);
  const isRoot = process.getuid?.() === 0;
  const apt = (args: string[]) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
  const ok = isRoot && apt(["update", "-qq"]) && apt(["install", "-y", "-qq", ...pkgs]);
  const still = missing.filter((m) => !has(m.bin));
  if (!ok || still.length > 0) {
    for (const m of still) process.stderr.write(`test setup: ${m.bin} is missing (${m.why}); install it with: apt-get install ${m.pkg}\n`);
    process.exit(1);
  }
}
