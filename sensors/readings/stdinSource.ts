/**
 * StdinSource: reads JSON lines (one reading per line) from standard input, or from any
 * Readable given as `input`, into a channel — for `producer | node my-pipeline.ts`.
 *
 * Guarantees: every complete line is read once, in order, and a last line without a newline
 * counts; a malformed line or reading is counted in `stats().errors` and skipped; reading pauses
 * the input while the channel or a rate limit holds it back. When the input ends the source ends
 * and `done()` resolves. `stop()` stops reading but does not destroy process.stdin.
 *
 * @example
 *   const source = new StdinSource({ channel: await rt.channel("readings"), timestamp: { field: "ts", unit: "us" } });
 *   await source.start();
 *   await source.done();           // stdin closed
 *
 * @param input         the stream to read (default process.stdin)
 * @param maxLineBytes  longer lines are skipped as "too_large" (default 1 MiB)
 */
import type { Readable } from "node:stream";
import { LineSplitter, SourceBase, streamLines } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";

export type StdinSourceOptions<T> = SourceOptions<T> & { input?: Readable; maxLineBytes?: number };

export class StdinSource<T = unknown> extends SourceBase<T> {
  private readonly input: Readable;
  private readonly splitter: LineSplitter;

  constructor(options: StdinSourceOptions<T>) {
    super("stdin", options);
    this.input = options.input ?? process.stdin;
    this.splitter = new LineSplitter(options.maxLineBytes ?? 1 << 20);
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    this.connected = true;
    try {
      await streamLines(this.input, this.ingest, this.splitter, signal, "stdin", "keep");
    } finally {
      this.connected = false;
      this.input.pause();
    }
  }
}
