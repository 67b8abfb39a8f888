/**
 * TcpSource: connects to host:port and reads JSON lines (one reading per line) into a channel,
 * reconnecting with backoff whenever the connection fails or the peer closes it.
 *
 * Guarantees:
 * - The source never gives up: a refused connection, a reset, or the peer closing are counted
 *   under errors.connection (a close by the peer is not an error) and followed by a new attempt
 *   after a backoff delay; a successful connection resets the backoff. `stats().reconnects`
 *   counts connections made after the first.
 * - A line cut off by a lost connection is counted as "truncated" and skipped; a malformed line
 *   is counted and skipped; reading resumes with the next connection.
 * - Reading pauses the socket while the channel or a rate limit holds it back (TCP backpressure).
 *
 * @example
 *   const source = new TcpSource({ channel: await rt.channel("gps"), host: "127.0.0.1", port: 5000,
 *     timestamp: { field: "t", unit: "ms" } });
 *   await source.start();
 *
 * @param host              default "127.0.0.1"
 * @param port              the port to connect to
 * @param connectTimeoutMs  give up on one connection attempt after this long (default 5000)
 * @param maxLineBytes      longer lines are skipped as "too_large" (default 1 MiB)
 */
import { connect, type Socket } from "node:net";
import { LineSplitter, SourceBase, streamLines } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";

export type TcpSourceOptions<T> = SourceOptions<T> & { host?: string; port: number; connectTimeoutMs?: number; maxLineBytes?: number };

export class TcpSource<T = unknown> extends SourceBase<T> {
  readonly host: string;
  readonly port: number;
  private readonly connectTimeoutMs: number;
  private readonly splitter: LineSplitter;

  constructor(options: TcpSourceOptions<T>) {
    super("tcp", options);
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.splitter = new LineSplitter(options.maxLineBytes ?? 1 << 20);
  }

  protected override run(signal: AbortSignal): Promise<void> {
    const where = `tcp://${this.host}:${this.port}`;
    return this.reconnecting(signal, async (signal, connected) => {
      const socket = await this.connect(signal);
      connected();
      try {
        await streamLines(socket, this.ingest, this.splitter, signal, where, "truncated");
      } finally {
        socket.destroy();
      }
    });
  }

  private connect(signal: AbortSignal): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, timeout: this.connectTimeoutMs });
      const fail = (err: Error) => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onTimeout = () => fail(new Error(`connecting to ${this.host}:${this.port} timed out after ${this.connectTimeoutMs} ms`));
      const onAbort = () => fail(new Error("stopped"));
      const onConnect = () => {
        cleanup();
        socket.setTimeout(0);
        resolve(socket);
      };
      const onError = (err: Error) => fail(new Error(`cannot connect to ${this.host}:${this.port}: ${err.message}`));
      const cleanup = () => {
        socket.off("connect", onConnect);
        socket.off("error", onError);
        socket.off("timeout", onTimeout);
        signal.removeEventListener("abort", onAbort);
      };
      socket.once("connect", onConnect);
      socket.once("error", onError);
      socket.once("timeout", onTimeout);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
