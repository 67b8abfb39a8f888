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
 * Batching (outbox.ts, putFrame.ts): a client gathers the puts made before the event loop
 * turns into one put message (acked puts into one request, fire-and-forget ones into one
 * publish), and a host gathers the items put meanwhile into one items message; frames are
 * cut at 64 KiB and never exceed max_payload. One message per item was measured at a quarter
 * of raw publish speed.
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

/** The start of a put header, {"items":[ (written by putFrame.ts, read by unframePut). */
export const PUT_PREFIX = Buffer.from('{"items":[', "latin1");
/** ASCII bytes of a put header's items list. */
export const COMMA = 0x2c;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const DIGIT_0 = 0x30;
const CLOSE_BRACE = 0x7d;

/**
 * The items of a put message, as unframe reads them. A header of exactly the form PutFrame and
 * frameEncoded write, {"items":[[ts,length],...]} with plain integers, is read straight from
 * its bytes: decoding the header as a string and JSON.parse, a [ts, length] array per item,
 * were a tenth of a host's CPU for fire-and-forget puts. Any other header goes through unframe.
 */
export function unframePut(bytes: Uint8Array): Encoded[] {
  const n = bytes.byteLength;
  const headerEnd = n < 4 ? 0 : 4 + (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)) + bytes[3] * 0x1000000;
  if (headerEnd > n || headerEnd < 4 + PUT_PREFIX.byteLength + 2) return unframe<PutHeader>(bytes).items;
  for (let k = 0; k < PUT_PREFIX.byteLength; k++) if (bytes[4 + k] !== PUT_PREFIX[k]) return unframe<PutHeader>(bytes).items;
  const items: Encoded[] = [];
  // Payloads are Buffer views, as unframe gives them (a custom codec may call Buffer methods).
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, n);
  let i = 4 + PUT_PREFIX.byteLength;
  let at = headerEnd;
  if (bytes[i] === CLOSE_BRACKET) i++;
  else {
    for (;;) {
      if (bytes[i] !== OPEN_BRACKET) return unframe<PutHeader>(bytes).items;
      const ts = readInteger(bytes, i + 1, headerEnd);
      i = integerEnd;
      if (ts < 0 || bytes[i] !== COMMA) return unframe<PutHeader>(bytes).items;
      const len = readInteger(bytes, i + 1, headerEnd);
      i = integerEnd;
      if (len < 0 || bytes[i] !== CLOSE_BRACKET) return unframe<PutHeader>(bytes).items;
      if (at + len > n) throw new FrameError(`item ${items.length} is not a [ts, length] within the body`);
      items.push({ ts, payload: body.subarray(at, at + len) });
      at += len;
      const next = bytes[++i];
      i++;
      if (next === CLOSE_BRACKET) break;
      if (next !== COMMA) return unframe<PutHeader>(bytes).items;
    }
  }
  if (bytes[i] !== CLOSE_BRACE || i + 1 !== headerEnd) return unframe<PutHeader>(bytes).items;
  return items;
}

/** Where the last readInteger stopped (a module variable, not an object per call). */
let integerEnd = 0;

/** The plain decimal integer (no sign, no leading zero) at `at`, or -1; sets integerEnd. */
function readInteger(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  let value = 0;
  while (i < end) {
    const d = bytes[i] - DIGIT_0;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    i++;
  }
  integerEnd = i;
  const digits = i - at;
  if (digits === 0 || (digits > 1 && bytes[at] === DIGIT_0) || !Number.isSafeInteger(value)) return -1;
  return value;
}

/** Reads items out of a reply frame. */
export function unframeItems<T>(bytes: Uint8Array, decode: (b: Uint8Array) => T): { header: ItemsReply; items: Item<T>[] } {
  const { header, items } = unframe<ItemsReply>(bytes);
  return { header, items: items.map((i) => ({ ts: i.ts, value: decode(i.payload) })) };
}
