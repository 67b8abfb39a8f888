/**
 * Command-line parsing shared by the `pts` commands: `--name value` and `--flag` options,
 * and positional arguments, checked against what the command accepts.
 */
import { InvalidOptionError } from "../runtime/index.ts";

export type Parsed = { positional: string[]; options: Map<string, string>; flags: Set<string> };

/** Parses argv; `valued` options take the next word, `flags` take none; anything else is an error. */
export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[]): Parsed {
  const out: Parsed = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      out.positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (flags.includes(name)) out.flags.add(name);
    else if (valued.includes(name)) {
      const v = argv[++i];
      if (v === undefined) throw new InvalidOptionError(a, undefined, "a value after it");
      out.options.set(name, v);
    } else throw new InvalidOptionError(a, a, `one of ${[...valued, ...flags].map((o) => `--${o}`).join(", ")}`);
  }
  return out;
}
