/**
 * `pts tail CHANNEL --nats URL [--from T] [--count N]`: follows a channel live, printing each
 * item as one JSON line { ts, iso, value }, as `ros2 topic echo` does. By default it starts at
 * the newest item; --from oldest replays the history first. Binary values print their size.
 * Ends on SIGINT/SIGTERM, or after N items.
 */
import { Runtime, parseTime, toIso, type Bound } from "../../index.ts";
import { NATS_ARGS, natsOptions, parseArgs, untilSignal } from "../args.ts";

export const summary = "follow a channel live, printing each item (like ros2 topic echo)";
export const usage = "usage: pts tail CHANNEL (--nats URL | --data DIR) [--from oldest|newest|T] [--count N]";

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...NATS_ARGS, "data", "from", "count"]);
  const [name] = args.positional;
  const nats = natsOptions(args);
  const dataDir = args.options.get("data");
  if (name === undefined || (nats === undefined && dataDir === undefined)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const fromArg = args.options.get("from") ?? "newest";
  const from: Bound = fromArg === "oldest" || fromArg === "newest" ? fromArg : parseTime(fromArg);
  const count = args.options.has("count") ? Number(args.options.get("count")) : Infinity;
  const rt = await Runtime.start({ nats, dataDir, namespace: args.options.get("namespace") });
  const ac = new AbortController();
  void untilSignal().then(() => ac.abort());
  try {
    const ch = await rt.lookup(name);
    let n = 0;
    for await (const item of ch.items({ from, follow: true, signal: ac.signal })) {
      const v = item.value;
      process.stdout.write(JSON.stringify({ ts: item.ts, iso: toIso(item.ts), value: v instanceof Uint8Array ? { bytes: v.byteLength } : v }) + "\n");
      if (++n >= count) break;
    }
  } finally {
    await rt.stop();
  }
  return 0;
}
