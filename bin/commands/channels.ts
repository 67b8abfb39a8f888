/**
 * `pts channels --data DIR [--json]`: lists the persistent channels stored in a data directory,
 * with their items, time span and bytes on disk. Opening the directory recovers it, as any
 * runtime would; it fails with ELOCKED while another process has it open.
 */
import { Runtime, toIso } from "../../index.ts";
import { parseArgs } from "../args.ts";

export const summary = "list channels: persistent ones in a data directory (--data DIR)";
export const usage = "usage: pts channels --data DIR [--json]";

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ["data"], ["json"]);
  const dataDir = args.options.get("data");
  if (dataDir === undefined) {
    process.stderr.write(`pts channels: --data DIR is required\n${usage}\n`);
    return 2;
  }
  const rt = await Runtime.start({ dataDir });
  try {
    const rows = [];
    for (const name of await rt.storedChannels()) {
      const ch = await rt.channel(name, undefined);
      const s = ch.stats();
      rows.push({ name, items: s.stored?.items ?? s.items, oldest: s.oldest, newest: s.newest, bytes: s.stored?.bytes ?? 0, corrupt: s.stored?.corrupt ?? 0 });
    }
    if (args.flags.has("json")) {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + "\n");
    } else if (rows.length === 0) {
      process.stdout.write(`no persistent channels in ${dataDir}\n`);
    } else {
      const table = [["channel", "items", "oldest", "newest", "bytes"], ...rows.map((r) => [r.name, String(r.items), r.oldest === undefined ? "-" : toIso(r.oldest), r.newest === undefined ? "-" : toIso(r.newest), String(r.bytes)])];
      const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
      for (const row of table) process.stdout.write(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd() + "\n");
    }
  } finally {
    await rt.stop();
  }
  return 0;
}
