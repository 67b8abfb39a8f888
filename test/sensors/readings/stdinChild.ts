/**
 * A child process for the stdin test: reads JSON lines from its real stdin into a channel with
 * StdinSource and, when stdin ends, prints the channel's values and the source's stats as JSON.
 */
import { Runtime } from "../../../index.ts";
import { StdinSource } from "../../../sensors/readings/index.ts";

const rt = await Runtime.start();
const ch = await rt.channel("stdin");
const source = new StdinSource({ channel: ch, timestamp: { field: "ts", unit: "s" } });
await source.start();
await source.done();
const values = (await ch.get("oldest", "newest")).map((i) => [i.ts, i.value]);
process.stdout.write(JSON.stringify({ values, stats: source.stats() }));
await source.stop();
await rt.stop();
