/**
 * Command-line parsing shared by the `pts` commands: `--name value` options (repeatable ones
 * keep every value), `--flag` switches and positional arguments, checked against what the
 * command accepts; and the NATS connection options every networked command takes.
 */
import { InvalidOptionError, type NatsOptions } from "../index.ts";

export type Parsed = { positional: string[]; options: Map<string, string>; lists: Map<string, string[]>; flags: Set<string> };

/** The NATS options: --nats URL (or $NATS_URL), --creds FILE (or $NATS_CREDS), --token, --user, --pass, --nkey-seed, --tls-ca, --tls-cert, --tls-key. */
export const NATS_ARGS = ["nats", "creds", "token", "user", "pass", "nkey-seed", "tls-ca", "tls-cert", "tls-key", "namespace"] as const;

/** Parses argv; `valued` options take the next word, `flags` take none; anything else is an error. */
export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[] = []): Parsed {
  const out: Parsed = { positional: [], options: new Map(), lists: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--") || a === "--") {
      if (a !== "--") out.positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (flags.includes(name)) out.flags.add(name);
    else if (valued.includes(name)) {
      const v = argv[++i];
      if (v === undefined) throw new InvalidOptionError(a, undefined, "a value after it");
      out.options.set(name, v);
      out.lists.set(name, [...(out.lists.get(name) ?? []), v]);
    } else throw new InvalidOptionError(a, a, `one of ${[...valued, ...flags].map((o) => `--${o}`).join(", ")}`);
  }
  return out;
}

/** NATS options from the parsed arguments; undefined when neither --nats nor $NATS_URL is set. */
export function natsOptions(args: Parsed): NatsOptions | undefined {
  const servers = args.options.get("nats") ?? process.env.NATS_URL;
  if (servers === undefined) return undefined;
  const o: NatsOptions = { servers: servers.split(",") };
  const set = <K extends keyof NatsOptions>(key: K, arg: string) => {
    const v = args.options.get(arg);
    if (v !== undefined) o[key] = v as NatsOptions[K];
  };
  set("credsFile", "creds");
  set("token", "token");
  set("user", "user");
  set("pass", "pass");
  set("nkeySeed", "nkey-seed");
  const ca = args.options.get("tls-ca");
  const cert = args.options.get("tls-cert");
  const key = args.options.get("tls-key");
  if (ca || cert || key) o.tls = { caFile: ca, certFile: cert, keyFile: key };
  return o;
}

/** Resolves on SIGINT or SIGTERM (once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(s);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}
