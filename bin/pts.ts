/**
 * The `pts` command: dispatches to one module per subcommand in bin/commands/.
 *
 * Each command module exports `summary` (one line for --help) and `run(args)`, which returns an
 * exit code. Modules are imported only when their command runs, so `pts --help` stays fast.
 * Errors a user can act on (PtsError) print as "pts: <code>: <message>" and exit 1.
 */
import { readFileSync } from "node:fs";
import { PtsError } from "../runtime/errors.ts";

export type Command = { summary: string; usage: string; run(args: string[]): Promise<number> };

const commands: Record<string, () => Promise<Command>> = {
  channels: () => import("./commands/channels.ts"),
  get: () => import("./commands/get.ts"),
  lrvm: () => import("./commands/lrvm.ts"),
  put: () => import("./commands/put.ts"),
  run: () => import("./commands/run.ts"),
  serve: () => import("./commands/serve.ts"),
  tail: () => import("./commands/tail.ts"),
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function help(): Promise<string> {
  const lines = [`pts ${version()}: Persistent Temporal Streams`, "", "usage: pts <command> [options]", "", "commands:"];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  lines.push("", "options:", "  --help, -h     show this help, or a command's help with `pts <command> --help`", "  --version, -v  print the version");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write((await help()) + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(version() + "\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`pts: unknown command "${name}"; run \`pts --help\` for the list\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof PtsError) {
    process.stderr.write(`pts: ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
