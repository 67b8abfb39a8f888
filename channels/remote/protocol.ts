/**
 * The channel protocol over the transport (subjects in runtime/transport/subjects.ts).
 *
 * Every message is a frame (runtime/transport/framing.ts): a JSON header and a body of item
 * payloads, each the channel codec's bytes. Items travel as header `items: [[ts, length], ...]`
 * plus their payloads back to back in the body.
 *
 *   info   request { probe? }                       reply InfoReply
 *   get    request GetRequest                       reply ItemsReply (or { timeout: true } for waits)
 *   put    request/publish { ts } + 1 payload       reply {} once stored (durably for "sync");
 *          publish { items: [[ts, len], ...] }       fire-and-forget puts batched per event-loop turn
 *   items  publish { ts, seq, host } + 1 payload   one per put, in put order
 *   hosts  request {}                               reply { host, channels: ChannelStats[] }
 *
 * Any reply may be { error: { code, message } } instead; the client raises it as the typed
 * PTS error of that code.
 */
import { decodeMessage, encodeMessage, splitBody } from "../../runtime/index.ts";
import type { Bound, ChannelStats, Item } from "../types.ts";

/** A host's claim on a channel name: the older claim wins; `host` ids are unique per runtime. */
export type Claim = { host: string; since: number };

export type InfoRequest = { probe?: Claim };
export type InfoReply = { host: string; since: number; codec: string; stats: ChannelStats; persistent: boolean };

export type GetRequest =
  | { op: "at"; at: Bound }
  | { op: "range"; lo: Bound; hi: Bound; maxBytes: number }
  | { op: "after"; after: number }
  | { op: "next"; after: number; waitMs: number }
  | { op: "take"; consumer: string; from: Bound; waitMs: number }
  | { op: "commit"; consumer: string; ts: number };

export type WireError = { code: string; message: string };

export type ItemsReply = {
  items?: [number, number][];
  /** range: more items remain after the last one returned. */
  more?: boolean;
  /** The host's items seq at the time of the reply (for live iterators). */
  seq?: number;
  host?: string;
  timeout?: true;
  error?: WireError;
};

export type PutHeader = { ts: number } | { items: [number, number][] };
export type LiveHeader = { ts: number; seq: number; host: string };
export type HostsReply = { host: string; channels: ChannelStats[] };

/** Frames items as a reply (or a live message), encoding each value with `encode`. */
export function frameItems<T>(header: Omit<ItemsReply, "items">, items: readonly Item<T>[], encode: (v: T) => Uint8Array): Uint8Array {
  const payloads = items.map((i) => encode(i.value));
  return encodeMessage({ ...header, items: items.map((i, k) => [i.ts, payloads[k].byteLength]) }, payloads);
}

/** Reads items out of a reply frame. */
export function unframeItems<T>(bytes: Uint8Array, decode: (b: Uint8Array) => T): { header: ItemsReply; items: Item<T>[] } {
  const { header, body } = decodeMessage<ItemsReply>(bytes);
  const list = header.items ?? [];
  const parts = splitBody(body, list.map(([, len]) => len));
  return { header, items: list.map(([ts], k) => ({ ts, value: decode(parts[k]) })) };
}
