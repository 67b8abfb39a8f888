/**
 * Retention of the live window: which oldest items leave memory after a put.
 *
 * Limits: `ms` keeps items within that many milliseconds of the newest item's timestamp
 * (data time, not wall time, so a replay of old data is retained the same way as live data);
 * `count` keeps at most that many items; `bytes` at most that many encoded bytes. Every limit
 * is enforced after each put; the union of what they evict leaves. Without `retain`, a
 * channel keeps DEFAULT_RETAIN.
 */
import { InvalidOptionError } from "../runtime/index.ts";
import type { TimeIndex } from "./timeIndex.ts";
import type { RetainOptions } from "./types.ts";

export const DEFAULT_RETAIN: Readonly<RetainOptions> = Object.freeze({ count: 10_000 });

export type Retention = { readonly ms?: number; readonly count?: number; readonly bytes?: number };

export function normalizeRetain(retain: RetainOptions | undefined): Retention {
  if (retain === undefined) return DEFAULT_RETAIN;
  if (typeof retain !== "object" || retain === null) throw new InvalidOptionError("retain", retain, "an object { ms?, count?, bytes? }");
  const out: { ms?: number; count?: number; bytes?: number } = {};
  for (const key of ["ms", "count", "bytes"] as const) {
    const v = retain[key];
    if (v === undefined || v === Infinity) continue;
    if (typeof v !== "number" || !(v > 0) || (key !== "ms" && !Number.isInteger(v))) {
      throw new InvalidOptionError(`retain.${key}`, v, key === "ms" ? "a positive number of milliseconds" : "a positive integer");
    }
    out[key] = v;
  }
  return out;
}

/** How many of the oldest items must leave so that `index` is within the limits. */
export function excess<T>(index: TimeIndex<T>, r: Retention): number {
  let n = 0;
  if (r.count !== undefined && index.size > r.count) n = index.size - r.count;
  if (r.ms !== undefined && index.size > 0) {
    const cutoff = index.newestTs() - Math.round(r.ms * 1000);
    if (index.oldestTs() < cutoff) n = Math.max(n, index.countBefore(cutoff));
  }
  if (r.bytes !== undefined && index.bytes > r.bytes) {
    n = Math.max(n, index.countOldestOver(r.bytes));
  }
  return n;
}
