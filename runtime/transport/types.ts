/**
 * The transport interface: what the channels layer needs to move bytes between runtimes.
 * Channels never see the NATS client; they see this. (nats.js keeps its protocol apart from
 * its transport the same way.)
 */

/** A message received on a subscription; `respond` answers a request (no-op for a publish). */
export interface TransportMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Whether the sender waits for an answer. */
  readonly expectsReply: boolean;
  respond(data: Uint8Array): void;
}

export interface Subscription {
  unsubscribe(): void;
}

export type TransportStatus =
  | { type: "disconnected"; server: string }
  | { type: "reconnecting" }
  | { type: "reconnected"; server: string }
  | { type: "error"; error: Error }
  | { type: "closed" };

export interface Transport {
  /** The largest message the server accepts, in bytes. */
  readonly maxPayload: number;
  readonly connected: boolean;
  /** Told how long each request took until its answer (or failure), in seconds; for metrics. */
  onRequest?: (seconds: number) => void;
  /** Sends a request and waits for the first answer. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Sends a request and gathers every answer that arrives within maxWaitMs. */
  requestMany(subject: string, data: Uint8Array, maxWaitMs: number): Promise<Uint8Array[]>;
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, handler: (msg: TransportMsg) => void): Subscription;
  onStatus(handler: (status: TransportStatus) => void): () => void;
  /** Resolves once the server has processed everything sent so far. */
  flush(): Promise<void>;
  /** Drains subscriptions and pending messages, then closes. */
  close(): Promise<void>;
}
