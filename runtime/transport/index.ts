/**
 * The transport layer's public entry: codecs, framing, the subject scheme, and the Transport
 * interface with its NATS implementation.
 */
export { type Codec, type CodecSpec, CodecError, jsonCodec, binaryCodec, resolveCodec, encodedSize, encodeInto } from "./codec.ts";
export type { Transport, TransportMsg, TransportStatus, Subscription } from "./types.ts";
export { TransportError, TRANSPORT_ERROR_CODES, type TransportErrorCode } from "./errors.ts";
export { encodeMessage, decodeMessage, extendHeader, FrameError } from "./framing.ts";
export { channelSubjects, hostsSubject, type ChannelSubjects } from "./subjects.ts";
export { connectNats, NatsTransport, type NatsOptions } from "./natsTransport.ts";
