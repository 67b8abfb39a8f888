/**
 * ReceivedItem: an item held as its codec's bytes (a remote put at the host, or a record read
 * back from disk), its value decoded on its first read.
 *
 * A feed that nobody reads on the host never pays for decoding: a host spent about a third of
 * its CPU decoding the JSON of fire-and-forget puts that it only stored and forwarded live.
 * The bytes also serve the live message and get replies, with no second encoding, and a
 * remote read takes items as stored (HostedChannel's stored accessors), so serving it decodes
 * nothing.
 *
 * @example
 *   const item = ReceivedItem.accept(ts, payload, jsonCodec);   // throws CodecError for bad bytes
 *   opened(item).value;                                          // decodes, once
 *
 * Guarantees: `accept` refuses bytes the codec cannot decode (through its `validate`, or by
 * decoding at once when the codec has none or has a `check` of values), so what is stored
 * always decodes to a value the codec accepts; `opened` gives the item with its value
 * decoded, and the same value object on every later read. The bytes and the codec live in
 * private fields, so a decoded item shows only `ts` and `value` (to JSON.stringify, spreads,
 * util.inspect), as an item put locally does.
 */
import type { Codec } from "../runtime/index.ts";
import type { Item } from "./types.ts";

export class ReceivedItem<T> implements Item<T> {
  readonly ts: number;
  /** Undefined until opened() decodes it; hosted channels open every item they hand out. */
  value: T;
  readonly #payload: Uint8Array;
  /** Set until the value is decoded. */
  #codec: Codec<T> | undefined;

  private constructor(ts: number, payload: Uint8Array, codec: Codec<T> | undefined, value: T) {
    this.ts = ts;
    this.#payload = payload;
    this.#codec = codec;
    this.value = value;
  }

  /**
   * An item for received bytes; throws the codec's error when they do not decode, or when the
   * codec's check refuses the value they decode to (so a codec with a check decodes now).
   */
  static accept<T>(ts: number, payload: Uint8Array, codec: Codec<T>): ReceivedItem<T> {
    if (codec.validate === undefined || codec.check !== undefined) {
      const value = codec.decode(payload);
      codec.check?.(value);
      return new ReceivedItem(ts, payload, undefined, value);
    }
    codec.validate(payload);
    return new ReceivedItem(ts, payload, codec, undefined as T);
  }

  /** An item for bytes that were accepted when put (a stored record), decoded when opened. */
  static stored<T>(ts: number, payload: Uint8Array, codec: Codec<T>): ReceivedItem<T> {
    return new ReceivedItem(ts, payload, codec, undefined as T);
  }

  /** Its codec's encoding of its value, as received or stored. */
  get payload(): Uint8Array {
    return this.#payload;
  }

  /** Decodes the value now, if it is not yet. */
  open(): void {
    const codec = this.#codec;
    if (codec === undefined) return;
    this.value = codec.decode(this.#payload);
    this.#codec = undefined;
  }
}

/**
 * Whether an item is a ReceivedItem. Not `instanceof`: Node's own streams define
 * Symbol.hasInstance, which sends every instanceof in the process down V8's slow path (about
 * 40 ns here, paid per item of a range read); a method lookup is a few ns. Items are PTS's own
 * objects, and only a ReceivedItem has `open`.
 */
export function isReceived<T>(item: Item<T>): item is ReceivedItem<T> {
  return (item as Partial<ReceivedItem<T>>).open !== undefined;
}

/** The item as readers see it: a received item is decoded first. */
export function opened<I extends Item<unknown> | undefined>(item: I): I {
  if (item !== undefined && isReceived(item)) item.open();
  return item;
}
