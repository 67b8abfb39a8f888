/**
 * Codecs: how a channel's values become bytes and back, for persistence and for NATS.
 *
 * - "json": any JSON-serializable value, UTF-8 JSON text.
 * - "binary": Buffer or Uint8Array values, stored as their bytes; decodes to a Buffer.
 * - a custom Codec<T>: `{ encode(value): Uint8Array, decode(bytes): T }`, e.g. for protobuf or CBOR.
 *
 * Guarantees: encode either returns bytes or throws CodecError (never returns garbage), and
 * `decode(encode(v))` equals v for every value the codec accepts. `sizeOf` gives the encoded
 * size, cheaply where the codec allows it (binary: no copy). `validate(bytes)` throws exactly
 * when `decode(bytes)` would, without building the value (json: a syntax scan, binary: any
 * bytes decode), so a receiver can keep bytes and decode them only when they are read.
 */
import { PtsError } from "../errors.ts";
import { jsonSyntaxError } from "./jsonSyntax.ts";

export interface Codec<T> {
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /** Encoded size in bytes; defaults to encode(value).byteLength. */
  sizeOf?(value: T): number;
  /** Throws CodecError when value cannot be encoded; cheap checks only. */
  check?(value: T): void;
  /** Throws CodecError when decode(bytes) would throw; cheaper than decoding. */
  validate?(bytes: Uint8Array): void;
}

export type CodecSpec<T> = "json" | "binary" | Codec<T>;

/** A value that a codec cannot encode, or bytes it cannot decode. */
export class CodecError extends PtsError {
  static readonly code = "PTS_CODEC";
  constructor(codec: string, what: string, cause?: unknown) {
    super(CodecError.code, `codec "${codec}": ${what}`, { cause });
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export const jsonCodec: Codec<unknown> = {
  name: "json",
  encode(value) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new CodecError("json", `value cannot be serialized to JSON (${(err as Error).message})`, err);
    }
    if (text === undefined) throw new CodecError("json", `a ${typeof value} cannot be serialized to JSON`);
    return Buffer.from(text, "utf8");
  },
  decode(bytes) {
    try {
      return JSON.parse(utf8.decode(bytes)) as unknown;
    } catch (err) {
      throw new CodecError("json", `bytes are not valid UTF-8 JSON (${(err as Error).message})`, err);
    }
  },
  sizeOf(value) {
    return jsonCodec.encode(value).byteLength;
  },
  validate(bytes) {
    const why = jsonSyntaxError(bytes);
    if (why !== undefined) throw new CodecError("json", `bytes are not valid UTF-8 JSON (${why})`);
  },
};

export const binaryCodec: Codec<Uint8Array> = {
  name: "binary",
  encode(value) {
    binaryCodec.check!(value);
    return value;
  },
  decode(bytes) {
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  sizeOf(value) {
    return value.byteLength;
  },
  validate() {
    // Any bytes are a binary value.
  },
  check(value) {
    if (!(value instanceof Uint8Array)) {
      throw new CodecError("binary", `expected a Buffer or Uint8Array, got ${value === null ? "null" : typeof value === "object" ? Object.prototype.toString.call(value) : typeof value}`);
    }
  },
};

/** Resolves a codec spec to a Codec; throws CodecError for an unknown name or a malformed object. */
export function resolveCodec<T>(spec: CodecSpec<T> | undefined): Codec<T> {
  if (spec === undefined || spec === "json") return jsonCodec as Codec<T>;
  if (spec === "binary") return binaryCodec as unknown as Codec<T>;
  if (typeof spec === "object" && spec !== null && typeof spec.encode === "function" && typeof spec.decode === "function") {
    return { ...spec, name: typeof spec.name === "string" && spec.name !== "" ? spec.name : "custom" };
  }
  throw new CodecError(String(spec), 'unknown codec: use "json", "binary" or an object with encode(value) and decode(bytes)');
}

/** Encoded size of a value under a codec. */
export function encodedSize<T>(codec: Codec<T>, value: T): number {
  return codec.sizeOf ? codec.sizeOf(value) : codec.encode(value).byteLength;
}
