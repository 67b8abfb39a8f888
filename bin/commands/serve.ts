/**
 * `pts serve --nats URL [--data DIR] [--channel NAME ...]`: a standalone channel server.
 *
 * It hosts every persistent channel stored in DIR, plus each --channel NAME (created
 * persistent when --data is given, with --persist sync|checkpoint, default sync; in memory
 * otherwise), and answers for them on NATS until SIGINT or SIGTERM, when it drains,
 * checkpoints and exits cleanly. It prints one line when it is ready, naming what it hosts.
 */
import { Runtime, type Channel } from "../../index.ts";
import { NATS_ARGS, natsOptions, parseArgs, untilSignal } from "../args.ts";

export const summary = "host channels on NATS: persistent ones from --data DIR, and --channel NAME";
export const usage = [
  "usage: pts serve --nats URL [--data DIR] [--channel NAME ...] [--persist sync|checkpoint] [--namespace NS]",
  "       NATS auth and TLS: --creds FILE --token T --user U --pass P --nkey-seed S --tls-ca F --tls-cert F --tls-key F",
  "       (NATS_URL and NATS_CREDS are read from the environment)",
].join("\n");

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...NATS_ARGS, "data", "channel", "persist"]);
  const nats = natsOptions(args);
  if (nats === undefined) {
    process.stderr.write(`pts serve: --nats URL (or NATS_URL) is required\n${usage}\n`);
    return 2;
  }
  const dataDir = args.options.get("data");
  const mode = args.options.get("persist") ?? "sync";
  if (mode !== "sync" && mode !== "checkpoint") {
    process.stderr.write(`pts serve: --persist must be sync or checkpoint\n`);
    return 2;
  }
  const rt = await Runtime.start({ nats, dataDir, namespace: args.options.get("namespace"), onError: (err, context) => process.stderr.write(`pts serve: ${context}: ${(err as Error).message}\n`) });
  const hosted = new Map<string, Channel<unknown>>();
  try {
    for (const name of await rt.storedChannels()) hosted.set(name, await rt.channel(name));
    for (const name of args.lists.get("channel") ?? []) {
      if (!hosted.has(name)) hosted.set(name, await rt.channel(name, dataDir === undefined ? {} : { persist: { mode } }));
    }
  } catch (err) {
    await rt.stop();
    throw err;
  }
  process.stdout.write(`pts serve: ready, hosting ${hosted.size} channel(s) on ${[nats.servers].flat().join(",")} namespace ${rt.namespace}: ${[...hosted.keys()].map((n) => JSON.stringify(n)).join(", ")}\n`);
  const signal = await untilSignal();
  process.stdout.write(`pts serve: ${signal}: draining and checkpointing\n`);
  await rt.stop();
  process.stdout.write("pts serve: stopped cleanly\n");
  return 0;
}
