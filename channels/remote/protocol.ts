/**
 * The channel protocol over the transport (subjects in runtime/transport/subjects.ts).
 *
 * Every message is a frame (runtime/transport/framing.ts): a JSON header and a body of item
 * payloads, each the channel codec's bytes. Items travel as header `items: [[ts, length], ...]`
 * plus their payloads back to back in the body, in that order.
 *
 *   info   request { probe? }                       reply InfoReply
 *   get    request GetRequest                       reply ItemsReply (or { timeout: true } for waits)
 *   put    request { items: [[ts, len], ...] }      reply PutReply once every item is settled:
 *                                                    stored (durably for "sync") or refused
 *          publish, the same frame                  fire-and-forget
 *   items  publish { host, seq, items: [...] }      live items in put order; the first has
 *                                                    sequence number seq, the next seq + 1, ...
 *   hosts  request {}                               reply { host, channels: ChannelStats[] }
 *
 * Batching (outbox.ts): a client gathers the puts made before the event loop turns into one
 * put message (acked puts into one request, fire-and-forget ones into one publish), and a
 * host gathers the items put meanwhile into one items message; frames are cut at 64 KiB and
 * never exceed max_payload. One message per item was measured at a quarter of raw publish
 * speed.
 *
 * Sequence numbers: a host numbers the items it publishes 1, 2, 3, ... from its start, and
 * every get reply carries the number of the last item put so far (`seq`) and the host's id. A
 * live iterator fetches history, then delivers items numbered after the reply's `seq`; an
 * items message that starts past the next number, or comes from another host, means items were
 * missed, and the iterator fetches history again. Hence no gap and no duplicate at the seam.
 *
 * Errors: any reply may be { error: { code, message } } instead; the client raises it as the
 * typed PTS error of that code. A put reply names each refused item by its index in the
 * request (`failed`); the others were stored.
 */
import { FrameError, decodeMessage, encodeMessage } from "../../runtime/index.ts";
import type { Bound, ChannelStats, Item } from "../types.ts";

/** A host's claim on a channel name: the older claim wins; `host` ids are unique per runtime. */
export type Claim = { host: string; since: number };

export type InfoRequest = { probe?: Claim };
export type InfoReply = { host: string; since: number; codec: string; stats: ChannelStats; persistent: boolean };

/** `read`: set by a handle's get() and next() (first request only), counted by the host as a read; internal reads leave it out. */
export type GetRequest = (
  | { op: "at"; at: Bound }
  | { op: "range"; lo: Bound; hi: Bound; maxBytes: number }
  | { op: "after"; after: number }
  | { op: "next"; after: number; waitMs: number }
  | { op: "take"; consumer: string; from: Bound; waitMs: number }
  | { op: "commit"; consumer: string; ts: number }
) & { read?: boolean };

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

export type PutHeader = { items: [number, number][] };
/** `failed`: [index in the request, why] for each item not stored; `error`: none was. */
export type PutReply = { failed?: [number, WireError][]; error?: WireError };
export type LiveHeader = { host: string; seq: number; items: [number, number][] };
export type HostsReply = { host: string; channels: ChannelStats[] };

/** An item as its codec's bytes. */
export type Encoded = { ts: number; payload: Uint8Array };

/** Bytes an item adds to a frame beyond its payload: its [ts, length] in the JSON header. */
export const ITEM_OVERHEAD = 36;
/** Frame overhead (the header's fixed fields) kept free below max_payload. */
export const FRAME_SLACK = 256;

/** Frames encoded items under a header. */
export function frameEncoded(header: object, items: readonly Encoded[]): Uint8Array {
  const list: [number, number][] = new Array<[number, number]>(items.length);
  const payloads: Uint8Array[] = new Array<Uint8Array>(items.length);
  for (let k = 0; k < items.length; k++) {
    list[k] = [items[k].ts, items[k].payload.byteLength];
    payloads[k] = items[k].payload;
  }
  return encodeMessage({ ...header, items: list }, payloads);
}

/** Frames items as a reply (or a live message), encoding each value with `encode`. */
export function frameItems<T>(header: Omit<ItemsReply, "items">, items: readonly Item<T>[], encode: (v: T) => Uint8Array): Uint8Array {
  return frameEncoded(header, items.map((i) => ({ ts: i.ts, payload: encode(i.value) })));
}

/** Reads the header and the items' payloads (views into the frame) out of a frame, in one pass. */
export function unframe<H extends { items?: [number, number][] }>(bytes: Uint8Array): { header: H; items: Encoded[] } {
  const { header, body } = decodeMessage<H>(bytes);
  const list: unknown = header.items ?? [];
  if (!Array.isArray(list)) throw new FrameError("items is not a list");
  const items = new Array<Encoded>(list.length);
  let at = 0;
  for (let k = 0; k < list.length; k++) {
    const entry: unknown = list[k];
    const len = Array.isArray(entry) ? (entry[1] as unknown) : undefined;
    if (typeof len !== "number" || !Number.isInteger(len) || len < 0 || at + len > body.byteLength) throw new FrameError(`item ${k} is not a [ts, length] within the body`);
    items[k] = { ts: (entry as [number, number])[0], payload: body.subarray(at, at + len) };
    at += len;
  }
  return { header, items };
}

/** Reads items out of a reply frame. */
export function unframeItems<T>(bytes: Uint8Array, decode: (b: Uint8Array) => T): { header: ItemsReply; items: Item<T>[] } {
  const { header, items } = unframe<ItemsReply>(bytes);
  return { header, items: items.map((i) => ({ ts: i.ts, value: decode(i.payload) })) };
}
