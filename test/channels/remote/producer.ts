// A producer process for remote tests: puts each [channel, value, ts] of argv[3] (JSON) into
// channels hosted elsewhere on NATS (argv[2]), with acknowledgements, then prints "acked N".
import { Runtime } from "../../../index.ts";

const [url, json] = process.argv.slice(2);
const puts = JSON.parse(json) as [string, unknown, number][];
const rt = await Runtime.start({ nats: url });
let acked = 0;
for (const [name, value, ts] of puts) {
  await (await rt.lookup(name)).put(value, ts);
  acked++;
}
process.stdout.write(`acked ${acked}\n`);
await rt.stop();
