/**
 * HttpIngestSource: an HTTP endpoint that producers POST readings to — one JSON reading, or a
 * JSON array of many — which it puts into a channel.
 *
 * Guarantees:
 * - Binds 127.0.0.1 unless `host` says otherwise; port 0 (the default) picks a free port, read
 *   back from `source.port` / `source.url` after start().
 * - POST `path` (default "/readings") answers 202 with a JSON report
 *   `{ accepted, duplicates, dropped, rejected, errors: [{ index, reason, message }] }` once the
 *   accepted readings are in the channel. It answers 400 with `{ error, ...report }` when the body
 *   is not JSON, when a single reading is rejected, or when every reading of an array is; an array
 *   with some bad readings is accepted in part (202) and the report lists the bad ones.
 * - 413 for a body over maxBodyBytes, 404 for another path, 405 for another method.
 * - Rejected readings are counted in `stats().errors` by reason; nothing a client sends stops
 *   the server. Rate limiting with "wait" holds the response back until the readings are in.
 *
 * @example
 *   const source = new HttpIngestSource({ channel: await rt.channel("readings"), port: 8080,
 *     timestamp: { field: "ts", unit: "ms" } });
 *   await source.start();
 *   // curl -d '[{"ts":1700000000000,"temp":21.5}]' http://127.0.0.1:8080/readings
 *
 * @param host          default "127.0.0.1"
 * @param port          default 0 (any free port)
 * @param path          default "/readings"
 * @param maxBodyBytes  default 1 MiB
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SourceBase } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";

export type HttpIngestSourceOptions<T> = SourceOptions<T> & { host?: string; port?: number; path?: string; maxBodyBytes?: number };

export class HttpIngestSource<T = unknown> extends SourceBase<T> {
  readonly host: string;
  readonly path: string;
  private readonly requestedPort: number;
  private readonly maxBodyBytes: number;
  private server: Server | undefined;
  private signal: AbortSignal | undefined;

  constructor(options: HttpIngestSourceOptions<T>) {
    super("http-ingest", options);
    this.host = options.host ?? "127.0.0.1";
    this.requestedPort = options.port ?? 0;
    this.path = options.path ?? "/readings";
    this.maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  }

  /** The port listened on, once started. */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.requestedPort;
  }

  /** The URL to POST readings to, once started. */
  get url(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}${this.path}`;
  }

  protected override async open(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => reply(res, 500, { error: `ingest failed: ${(err as Error).message}` }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.connected = true;
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  }

  protected override async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== this.path) return reply(res, 404, { error: `no such endpoint ${path}; POST readings to ${this.path}` });
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return reply(res, 405, { error: `${req.method} is not allowed; POST one JSON reading or a JSON array of readings` });
    }
    const body = await readBody(req, this.maxBodyBytes);
    if (body === undefined) {
      this.ingest.fail("too_large", `a POST body over ${this.maxBodyBytes} bytes was refused`);
      return reply(res, 413, { error: `body over ${this.maxBodyBytes} bytes; send fewer readings per request` });
    }
    const report = await this.ingest.body(body, this.signal);
    if (report.malformed !== undefined) return reply(res, 400, { error: report.malformed, ...report, malformed: undefined });
    const accepted = report.accepted + report.duplicates + report.dropped;
    if (report.rejected > 0 && accepted === 0) {
      const first = report.errors[0];
      return reply(res, 400, { error: `${report.rejected === 1 ? "the reading was" : `all ${report.rejected} readings were`} rejected: ${first.message}`, ...report });
    }
    reply(res, 202, report);
  }
}

/** The request body, or undefined when it exceeds max bytes (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      if (!over) parts.push(chunk);
    });
    req.once("end", () => resolve(over ? undefined : Buffer.concat(parts, size)));
    req.once("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
