/**
 * `pts get CHANNEL --data DIR`: reads a persistent channel offline.
 *
 *   --at T              the item exactly at T
 *   --from T --to T     items in [T, T] (either may be left out: oldest / newest)
 *   --newest, --oldest  one item
 *   --out DIR           write each value to DIR/<ts>.<ext> (.jpg for JPEG bytes, .bin for other
 *                       binary values, .json otherwise) instead of printing it
 *
 * T is integer µs, ISO-8601 (2026-11-25T10:00:00Z), "now", or relative to now ("-5s").
 * Output: one JSON line per item: { ts, iso, value } (binary values as { bytes, file? }).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Item, Runtime, parseTime, toIso } from "../../index.ts";
import { parseArgs } from "../args.ts";

export const summary = "read a persistent channel offline (--data DIR, --at/--from/--to/--newest)";
export const usage = "usage: pts get CHANNEL --data DIR [--at T | --from T] [--to T] [--newest | --oldest] [--out DIR]";

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ["data", "at", "from", "to", "out"], ["newest", "oldest"]);
  const [name] = args.positional;
  const dataDir = args.options.get("data");
  if (name === undefined || dataDir === undefined || args.positional.length > 1) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const rt = await Runtime.start({ dataDir });
  try {
    if (!(await rt.storedChannels()).includes(name)) {
      process.stderr.write(`pts get: no persistent channel named ${JSON.stringify(name)} in ${dataDir}; \`pts channels --data ${dataDir}\` lists them\n`);
      return 1;
    }
    const ch = await rt.channel<unknown>(name);
    let items: Item<unknown>[];
    const at = args.options.get("at");
    if (at !== undefined) items = [await ch.get(parseTime(at))].filter((i): i is Item<unknown> => i !== undefined);
    else if (args.flags.has("newest") || args.flags.has("oldest")) items = [await ch.get(args.flags.has("newest") ? "newest" : "oldest")].filter((i): i is Item<unknown> => i !== undefined);
    else {
      const from = args.options.get("from");
      const to = args.options.get("to");
      items = await ch.get(from === undefined ? "oldest" : parseTime(from), to === undefined ? "newest" : parseTime(to));
    }
    const out = args.options.get("out");
    if (out !== undefined) mkdirSync(out, { recursive: true });
    for (const item of items) process.stdout.write(JSON.stringify(describeItem(item, out)) + "\n");
    if (items.length === 0) process.stderr.write("pts get: no items there\n");
  } finally {
    await rt.stop();
  }
  return 0;
}

function describeItem(item: Item<unknown>, out: string | undefined): Record<string, unknown> {
  const base = { ts: item.ts, iso: toIso(item.ts) };
  const v = item.value;
  if (v instanceof Uint8Array) {
    const ext = v[0] === 0xff && v[1] === 0xd8 ? "jpg" : "bin";
    if (out === undefined) return { ...base, value: { bytes: v.byteLength } };
    const file = join(out, `${item.ts}.${ext}`);
    writeFileSync(file, v);
    return { ...base, value: { bytes: v.byteLength, file } };
  }
  if (out === undefined) return { ...base, value: v };
  const file = join(out, `${item.ts}.json`);
  writeFileSync(file, JSON.stringify(v));
  return { ...base, value: v, file };
}
