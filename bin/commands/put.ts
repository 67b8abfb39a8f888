/**
 * `pts put CHANNEL VALUE --nats URL [--ts T] [--file F] [--no-ack]`: puts one item into a channel
 * hosted anywhere on NATS (or, with --data DIR and no --nats, into a stored persistent channel).
 *
 * VALUE is parsed as JSON, and taken as a string when it is not JSON. --file F puts the file's
 * bytes (for binary channels, e.g. a JPEG). T defaults to now. With an acknowledgement (the
 * default) it exits once the host stored the item.
 */
import { readFileSync } from "node:fs";
import { Runtime, parseTime } from "../../index.ts";
import { NATS_ARGS, natsOptions, parseArgs } from "../args.ts";

export const summary = "put one item into a channel (over NATS, or into --data DIR)";
export const usage = "usage: pts put CHANNEL [VALUE | --file F] (--nats URL | --data DIR) [--ts T] [--no-ack]";

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...NATS_ARGS, "data", "ts", "file"], ["no-ack"]);
  const [name, text] = args.positional;
  const nats = natsOptions(args);
  const dataDir = args.options.get("data");
  const file = args.options.get("file");
  if (name === undefined || (text === undefined) === (file === undefined) || (nats === undefined && dataDir === undefined)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const value: unknown = file !== undefined ? readFileSync(file) : parseValue(text!);
  const tsArg = args.options.get("ts");
  const ts = tsArg === undefined ? undefined : parseTime(tsArg);
  const rt = await Runtime.start({ nats, dataDir, namespace: args.options.get("namespace") });
  try {
    const ch = await rt.lookup(name, { ack: !args.flags.has("no-ack") });
    await ch.put(value, ts);
    process.stdout.write(`put ${JSON.stringify(name)}${ts === undefined ? "" : ` at ${ts}`}\n`);
  } finally {
    await rt.stop();
  }
  return 0;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
