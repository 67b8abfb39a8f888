/**
 * Test helper: a stopped store whose sync-mode channel holds the given string values at ts 1,
 * 2, 3, ..., each put alone (one durable batch each).
 */
import { Runtime } from "../../../index.ts";

export async function syncStore(dir: string, channel: string, values: readonly string[]): Promise<void> {
  const rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>(channel, { persist: { mode: "sync" } });
  for (const [i, value] of values.entries()) await ch.put(value, i + 1);
  await rt.stop();
}
