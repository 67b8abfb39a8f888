/**
 * The public entry of the generic sensor sources: readings from JSON-lines files, stdin, TCP,
 * an HTTP ingest endpoint, a NATS subject, and a synthetic generator, put into channels.
 */
export { JsonLinesFileSource, type JsonLinesFileSourceOptions } from "./jsonLinesFileSource.ts";
export { StdinSource, type StdinSourceOptions } from "./stdinSource.ts";
export { TcpSource, type TcpSourceOptions } from "./tcpSource.ts";
export { HttpIngestSource, type HttpIngestSourceOptions } from "./httpIngestSource.ts";
export { NatsSubjectSource, type NatsSubjectSourceOptions } from "./natsSubjectSource.ts";
export { SyntheticSource, type SyntheticSourceOptions, type SyntheticReading } from "./syntheticSource.ts";
export type * from "./types.ts";
