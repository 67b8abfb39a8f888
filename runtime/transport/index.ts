/**
 * The transport layer's public entry: codecs now; the NATS connection, subject naming and
 * request/reply helpers join it with the NATS issue.
 */
export { type Codec, type CodecSpec, CodecError, jsonCodec, binaryCodec, resolveCodec, encodedSize } from "./codec.ts";
