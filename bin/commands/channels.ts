/**
 * `pts channels`: lists channels, with their items, time span and bytes.
 *
 * - `--data DIR`: the persistent channels stored in a data directory. Opening the directory
 *   recovers it, as any runtime would; it fails with ELOCKED while another process has it open.
 * - `--nats URL`: the channels of every runtime on the NATS namespace: the hosts that answer
 *   within `--wait` (default 500ms; longer for hosts far away or busy).
 */
import { InvalidOptionError, Runtime, parseDuration, toIso } from "../../index.ts";
import { NATS_ARGS, natsOptions, parseArgs } from "../args.ts";

export const summary = "list channels: of every host on NATS (--nats URL), or stored in --data DIR";
export const usage = "usage: pts channels (--nats URL [--wait 500ms] | --data DIR) [--json]";

type Row = { name: string; host?: string; items: number; oldest: number | undefined; newest: number | undefined; bytes: number | null };

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...NATS_ARGS, "data", "wait"], ["json"]);
  const waitMs = args.options.has("wait") ? parseDuration(args.options.get("wait")!) / 1000 : 500;
  if (!(waitMs > 0)) throw new InvalidOptionError("--wait", args.options.get("wait"), "a positive duration");
  const dataDir = args.options.get("data");
  const nats = natsOptions(args);
  if (dataDir === undefined && nats === undefined) {
    process.stderr.write(`pts channels: --nats URL (or NATS_URL) or --data DIR is required\n${usage}\n`);
    return 2;
  }
  const rt = await Runtime.start({ dataDir: nats === undefined ? dataDir : undefined, nats, namespace: args.options.get("namespace") });
  try {
    const rows: Row[] = [];
    if (nats !== undefined) {
      for (const { host, channels } of await rt.allChannels(waitMs)) {
        for (const s of channels) rows.push({ name: s.name, host, items: s.stored?.items ?? s.items, oldest: s.oldest, newest: s.newest, bytes: s.stored?.bytes ?? s.bytes });
      }
    } else {
      for (const name of await rt.storedChannels()) {
        const s = (await rt.channel(name, undefined)).stats();
        rows.push({ name, items: s.stored?.items ?? s.items, oldest: s.oldest, newest: s.newest, bytes: s.stored?.bytes ?? 0 });
      }
    }
    if (args.flags.has("json")) {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + "\n");
    } else if (rows.length === 0) {
      process.stdout.write(nats ? "no channels are hosted on this namespace\n" : `no persistent channels in ${dataDir}\n`);
    } else {
      const table = [["channel", "host", "items", "oldest", "newest", "bytes"], ...rows.map((r) => [r.name, r.host ?? "-", String(r.items), r.oldest === undefined ? "-" : toIso(r.oldest), r.newest === undefined ? "-" : toIso(r.newest), r.bytes === null ? "-" : String(r.bytes)])];
      const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
      for (const row of table) process.stdout.write(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd() + "\n");
    }
  } finally {
    await rt.stop();
  }
  return 0;
}
