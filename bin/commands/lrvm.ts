/** `pts lrvm`: inspect and truncate an LRVM directory (built by the LRVM issue). */
export const summary = "inspect or truncate an LRVM directory";
export const usage = "usage: pts lrvm inspect DIR | pts lrvm truncate DIR";

export async function run(_args: string[]): Promise<number> {
  process.stderr.write("pts lrvm: not built yet\n");
  return 1;
}
