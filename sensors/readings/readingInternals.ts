/**
 * Shared logic of the reading sources: turning text and JSON into channel puts with counters
 * (ReadingIngest), splitting byte chunks into lines (LineSplitter), pumping a Readable with
 * backpressure (pumpStream), and the lifecycle and reconnect loop every source has (SourceBase).
 * Not a public entry: sources import it, users import sensors/readings/index.ts.
 */
import type { Readable } from "node:stream";
import { DuplicateTimestampError, type Channel } from "../../channels/index.ts";
import { Backoff, RateLimiter, fromIso, fromMs, isTimestamp, now, sleep, type BackoffOptions } from "../../runtime/index.ts";
import type { IngestReport, ReadingErrorReason, ReadingSource, SourceOptions, SourceStats, TimestampOption } from "./types.ts";

/** A reading that is skipped: counted under reason, described by message. */
export class SkippedReading extends Error {
  constructor(
    readonly reason: ReadingErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "SkippedReading";
  }
}

export type IngestResult = { readonly ok: true; readonly duplicate: boolean; readonly dropped: boolean } | { readonly ok: false; readonly reason: ReadingErrorReason; readonly message: string };

// Preallocated: the hot path allocates no result object for a reading that goes in.
const STORED: IngestResult = { ok: true, duplicate: false, dropped: false };
const DUPLICATE: IngestResult = { ok: true, duplicate: true, dropped: false };
const DROPPED: IngestResult = { ok: true, duplicate: false, dropped: true };

/** How many recent timestamps a source remembers to count duplicates the channel accepts silently. */
const RECENT_TS = 4096;
/** How many rejected readings an IngestReport describes; the count covers them all. */
const REPORT_ERRORS = 10;

const ERROR_REASONS: readonly ReadingErrorReason[] = ["malformed", "timestamp", "invalid", "too_large", "truncated", "put", "connection", "io"];

function zeroErrors(): Record<ReadingErrorReason, number> {
  const errors = {} as Record<ReadingErrorReason, number>;
  for (const reason of ERROR_REASONS) errors[reason] = 0;
  return errors;
}

/** Compiles a timestamp option into a function of the reading; throws SkippedReading("timestamp"). */
export function timestampReader(option: TimestampOption): ((reading: unknown) => number) | undefined {
  if (option === "arrival") return undefined;
  const { field, unit } = option;
  const path = field.split(".");
  const where = `timestamp field ${JSON.stringify(field)} (unit ${unit})`;
  return (reading) => {
    let v: unknown = reading;
    for (const key of path) {
      if (v === null || typeof v !== "object") throw new SkippedReading("timestamp", `reading has no ${where}`);
      v = (v as Record<string, unknown>)[key];
    }
    if (v === undefined) throw new SkippedReading("timestamp", `reading has no ${where}`);
    try {
      if (unit === "iso") {
        if (typeof v !== "string") throw new Error(`expected an ISO-8601 string, got ${typeof v}`);
        return fromIso(v);
      }
      if (typeof v !== "number") throw new Error(`expected a number, got ${v === null ? "null" : typeof v}`);
      if (unit === "ms") return fromMs(v);
      if (unit === "s") return fromMs(v * 1000);
      if (!isTimestamp(v)) throw new Error(`${v} is not a non-negative integer of microseconds`);
      return v;
    } catch (err) {
      throw new SkippedReading("timestamp", `bad ${where}: ${(err as Error).message}`);
    }
  };
}

/**
 * Puts readings into a channel and keeps the counters: parse, timestamp, map, rate limit, put.
 * A reading that cannot go in is counted and reported, never thrown.
 */
export class ReadingIngest<T> {
  readonly counters: Omit<SourceStats, "name" | "running" | "connected">;
  private readonly channel: Channel<T>;
  private readonly tsOf: ((reading: unknown) => number) | undefined;
  private readonly map: ((reading: unknown) => T) | undefined;
  private readonly limiter: RateLimiter | undefined;
  private readonly dropWhenLimited: boolean;
  private readonly onError: SourceOptions<T>["onError"];
  private readonly recent = new Set<number>();
  private readonly ring: number[] = [];
  private ringAt = 0;

  constructor(options: SourceOptions<T>) {
    this.channel = options.channel;
    this.tsOf = timestampReader(options.timestamp ?? "arrival");
    this.map = options.map;
    this.limiter = options.rate ? new RateLimiter(options.rate.perSecond, options.rate.burst) : undefined;
    this.dropWhenLimited = options.rate?.whenLimited === "drop";
    this.onError = options.onError;
    this.counters = { readings: 0, bytes: 0, errors: zeroErrors(), duplicates: 0, dropped: 0, reconnects: 0, lastTs: undefined };
  }

  /** Counts an error that is not about one reading (a broken connection, an unreadable file). */
  fail(reason: ReadingErrorReason, message: string): IngestResult {
    this.counters.errors[reason]++;
    this.onError?.(reason, message);
    return { ok: false, reason, message };
  }

  /** One line of JSON text. Blank lines are ignored. */
  line(text: string, signal?: AbortSignal): Promise<IngestResult> {
    let reading: unknown;
    try {
      reading = JSON.parse(text);
    } catch (err) {
      if (text.trim() === "") return Promise.resolve(STORED);
      return Promise.resolve(this.fail("malformed", `line is not valid JSON (${(err as Error).message}): ${preview(text)}`));
    }
    return this.reading(reading, signal);
  }

  /** One parsed reading: timestamp from the configured field or arrival time, then map and put. */
  reading(reading: unknown, signal?: AbortSignal): Promise<IngestResult> {
    let ts: number;
    let value: T;
    try {
      ts = this.tsOf ? this.tsOf(reading) : now();
      value = this.map ? this.mapped(reading) : (reading as T);
    } catch (err) {
      if (err instanceof SkippedReading) return Promise.resolve(this.fail(err.reason, err.message));
      throw err;
    }
    return this.put(value, ts, signal);
  }

  private mapped(reading: unknown): T {
    try {
      return this.map!(reading);
    } catch (err) {
      throw new SkippedReading("invalid", `map rejected the reading: ${(err as Error).message}`);
    }
  }

  /** A value with its timestamp: rate limit, put, count. */
  async put(value: T, ts: number, signal?: AbortSignal): Promise<IngestResult> {
    if (this.limiter) {
      if (this.dropWhenLimited) {
        if (!this.limiter.tryTake()) {
          this.counters.dropped++;
          return DROPPED;
        }
      } else {
        await this.limiter.take(signal);
      }
    }
    const seen = this.recent.has(ts);
    try {
      await this.channel.put(value, ts);
    } catch (err) {
      if (err instanceof DuplicateTimestampError) {
        this.counters.duplicates++;
        return DUPLICATE;
      }
      return this.fail("put", `put at ts ${ts} failed: ${(err as Error).message}`);
    }
    if (seen) {
      this.counters.duplicates++;
      return DUPLICATE;
    }
    this.remember(ts);
    this.counters.readings++;
    this.counters.lastTs = ts;
    return STORED;
  }

  private remember(ts: number): void {
    if (this.ring.length < RECENT_TS) this.ring.push(ts);
    else {
      this.recent.delete(this.ring[this.ringAt]);
      this.ring[this.ringAt] = ts;
      this.ringAt = (this.ringAt + 1) % RECENT_TS;
    }
    this.recent.add(ts);
  }

  /**
   * A body holding one JSON reading or a JSON array of readings (an HTTP POST, a NATS message).
   * Returns what went in and what was rejected, for the producer; `malformed` is set when the
   * body itself is not JSON.
   */
  async body(bytes: Uint8Array, signal?: AbortSignal): Promise<IngestReport & { malformed?: string }> {
    this.counters.bytes += bytes.byteLength;
    const report: IngestReport & { malformed?: string } = { accepted: 0, duplicates: 0, dropped: 0, rejected: 0, errors: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8.decode(bytes));
    } catch (err) {
      const r = this.fail("malformed", `body is not valid UTF-8 JSON (${(err as Error).message}); send one reading as a JSON object or many as a JSON array`);
      if (!r.ok) report.malformed = r.message;
      report.rejected = 1;
      return report;
    }
    const readings = Array.isArray(parsed) ? parsed : [parsed];
    for (let i = 0; i < readings.length; i++) {
      const r = await this.reading(readings[i], signal);
      if (!r.ok) {
        report.rejected++;
        if (report.errors.length < REPORT_ERRORS) report.errors.push({ index: i, reason: r.reason, message: r.message });
      } else if (r.duplicate) report.duplicates++;
      else if (r.dropped) report.dropped++;
      else report.accepted++;
    }
    return report;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? text.slice(0, 57) + "..." : text);
}

/** A marker LineSplitter yields for a line over its byte limit, which it discards. */
export const TOO_LARGE = Symbol("line too large");

/**
 * Splits byte chunks into lines (LF or CRLF), carrying partial lines across chunks; decodes each
 * whole line once, so multi-byte characters split across chunks stay intact. A line longer than
 * maxLineBytes is discarded up to its newline and reported as TOO_LARGE.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  private skipping = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Whether a partial line is waiting for its newline. */
  get partial(): boolean {
    return this.pending > 0 || this.skipping;
  }

  *push(chunk: Buffer): Generator<string | typeof TOO_LARGE> {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pending + nl - start > this.maxLineBytes) {
        this.reset();
        yield TOO_LARGE;
      } else {
        yield this.take(chunk, start, nl);
      }
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      // A copy: the caller may reuse chunk's memory for its next read.
      this.parts.push(Buffer.from(chunk.subarray(start)));
      this.pending += chunk.length - start;
      if (this.pending > this.maxLineBytes) {
        this.reset();
        this.skipping = true;
        yield TOO_LARGE;
      }
    }
  }

  /** The partial line at the end of input, if any (a file's last line without a newline). */
  end(): string | undefined {
    if (this.skipping || this.pending === 0) {
      this.reset();
      return undefined;
    }
    const text = this.take(Buffer.alloc(0), 0, 0);
    return text;
  }

  /** Forgets a partial line (a connection lost mid-line); returns whether there was one. */
  discard(): boolean {
    const had = this.partial;
    this.reset();
    return had;
  }

  private take(chunk: Buffer, start: number, end: number): string {
    let text: string;
    if (this.pending === 0) text = chunk.toString("utf8", start, end);
    else {
      this.parts.push(chunk.subarray(start, end));
      text = Buffer.concat(this.parts).toString("utf8");
      this.reset();
    }
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }

  private reset(): void {
    this.parts = [];
    this.pending = 0;
    this.skipping = false;
  }
}

/**
 * Feeds a Readable's chunks to onChunk one at a time, pausing the stream while onChunk runs (so a
 * slow channel or a rate limit pushes back on the producer). Resolves when the stream ends or
 * closes, or the signal aborts; rejects with the stream's error.
 */
export function pumpStream(stream: Readable, signal: AbortSignal, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy: Promise<void> = Promise.resolve();
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onFail);
      signal.removeEventListener("abort", onEnd);
      busy.then(() => (err === undefined ? resolve() : reject(err)), reject);
    };
    const onData = (chunk: Buffer | string) => {
      stream.pause();
      busy = busy.then(() => onChunk(typeof chunk === "string" ? Buffer.from(chunk) : chunk)).then(() => {
        if (!settled) stream.resume();
      });
      busy.catch((err: unknown) => settle(err));
    };
    const onEnd = () => settle();
    const onFail = (err: Error) => settle(err);
    if (signal.aborted) return settle();
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onEnd);
    stream.once("error", onFail);
    signal.addEventListener("abort", onEnd, { once: true });
    stream.resume();
  });
}

/** Feeds one chunk of JSON lines: counts its bytes, puts each complete line, counts lines over the limit. */
export async function feedLines<T>(chunk: Buffer, ingest: ReadingIngest<T>, splitter: LineSplitter, signal: AbortSignal, what: string): Promise<void> {
  ingest.counters.bytes += chunk.length;
  for (const line of splitter.push(chunk)) {
    if (line === TOO_LARGE) ingest.fail("too_large", `a line from ${what} is over the line limit; skipped`);
    else await ingest.line(line, signal);
  }
}

/**
 * At the end of input: a partial last line is a reading when `lastLine` is "keep" (stdin, a
 * file), or counted as "truncated" (a connection lost mid-line).
 */
export async function endLines<T>(ingest: ReadingIngest<T>, splitter: LineSplitter, signal: AbortSignal, what: string, lastLine: "keep" | "truncated"): Promise<void> {
  if (lastLine === "keep") {
    const rest = splitter.end();
    if (rest !== undefined) await ingest.line(rest, signal);
  } else if (splitter.discard() && !signal.aborted) {
    ingest.fail("truncated", `${what} closed in the middle of a line; the partial line was skipped`);
  }
}

/** Reads JSON lines from a stream until it ends or the signal aborts. */
export async function streamLines<T>(stream: Readable, ingest: ReadingIngest<T>, splitter: LineSplitter, signal: AbortSignal, what: string, lastLine: "keep" | "truncated"): Promise<void> {
  await pumpStream(stream, signal, (chunk) => feedLines(chunk, ingest, splitter, signal, what));
  await endLines(ingest, splitter, signal, what, lastLine);
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000 };

/**
 * The lifecycle every source shares: start (open, then run in the background), stop (abort, wait
 * for run, close), done, stats, and a reconnect loop with backoff.
 */
export abstract class SourceBase<T> implements ReadingSource {
  readonly name: string;
  protected readonly ingest: ReadingIngest<T>;
  protected connected = false;
  private readonly backoffOptions: BackoffOptions;
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private ended = false;

  constructor(kind: string, options: SourceOptions<T>) {
    this.name = options.name ?? kind;
    this.ingest = new ReadingIngest(options);
    this.backoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  /** Opens what must be open before start() resolves (a listening server). Default: nothing. */
  protected async open(_signal: AbortSignal): Promise<void> {}
  /** Reads until the signal aborts or the input ends. */
  protected abstract run(signal: AbortSignal): Promise<void>;
  /** Releases what open() acquired. Default: nothing. */
  protected async close(): Promise<void> {}

  async start(): Promise<void> {
    if (this.controller) return;
    const controller = (this.controller = new AbortController());
    await this.open(controller.signal);
    this.running = this.run(controller.signal).catch((err: unknown) => {
      if (!controller.signal.aborted) this.ingest.fail("io", `${this.name} stopped: ${(err as Error).message}`);
    }).finally(() => {
      this.ended = true;
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.controller?.abort(new Error(`${this.name} stopped`));
      await this.running;
      await this.close();
      this.connected = false;
    })();
    return this.stopping;
  }

  async done(): Promise<void> {
    await this.running;
  }

  stats(): SourceStats {
    const c = this.ingest.counters;
    return { name: this.name, running: this.controller !== undefined && this.stopping === undefined && !this.ended, connected: this.connected, ...c, errors: { ...c.errors } };
  }

  /**
   * Runs connectOnce again and again until the signal aborts: after it returns (the producer
   * closed) or throws (counted under "connection"), waits a backoff delay. A session that got
   * connected resets the backoff, and every connection after the first counts as a reconnect.
   */
  protected async reconnecting(signal: AbortSignal, connectOnce: (signal: AbortSignal, connected: () => void) => Promise<void>): Promise<void> {
    const backoff = new Backoff(this.backoffOptions);
    let everConnected = false;
    const connected = () => {
      if (everConnected) this.ingest.counters.reconnects++;
      everConnected = true;
      this.connected = true;
      backoff.reset();
    };
    while (!signal.aborted) {
      try {
        await connectOnce(signal, connected);
      } catch (err) {
        if (signal.aborted) break;
        this.ingest.fail("connection", `${this.name}: ${(err as Error).message}`);
      }
      this.connected = false;
      await sleep(backoff.next(), signal).catch(() => undefined);
    }
  }

  /** A backoff with this source's options, for sources that retry other than by reconnecting. */
  protected backoff(): Backoff {
    return new Backoff(this.backoffOptions);
  }
}
