/**
 * nameToken: turns any channel name into one safe token — a file or directory name that cannot
 * leave its parent, and a single NATS subject token that cannot be a wildcard or add a level.
 *
 * The token uses only [A-Za-z0-9-] and '_' escapes: each UTF-8 byte outside [A-Za-z0-9-] is
 * written as '_' and two uppercase hex digits ('.' is "_2E", '*' "_2A", '>' "_3E", ' ' "_20",
 * '_' itself "_5F"). So "." , "..", "/", "*" and ">" can never appear, and distinct names give
 * distinct tokens. A token longer than MAX_TOKEN is cut and suffixed with '~' and 32 hex
 * digits of the name's SHA-256, which keeps it unique; callers that need the name back store
 * it beside the token.
 *
 * @example nameToken("video channel") === "video_20channel"
 */
import { createHash } from "node:crypto";

export const MAX_TOKEN = 160;

const SAFE = /^[A-Za-z0-9-]$/;

export function nameToken(name: string): string {
  let out = "";
  for (const byte of Buffer.from(name, "utf8")) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE.test(c) ? c : "_" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  if (out.length <= MAX_TOKEN) return out;
  const hash = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 32);
  return `${out.slice(0, MAX_TOKEN - 33)}~${hash}`;
}
