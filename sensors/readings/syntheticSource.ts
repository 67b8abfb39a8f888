/**
 * SyntheticSource: generates sensor readings at a rate, deterministic from a seed — for demos,
 * tests and load.
 *
 * Guarantees:
 * - The same seed gives the same sequence of values. With `startTs`, timestamps are
 *   startTs + seq × (1 s / perSecond) too, so the whole channel content is reproducible; without
 *   it, readings are stamped with their arrival time (clock.now()).
 * - Readings are paced at `perSecond` (a token bucket with no burst); `perSecond: Infinity`
 *   generates as fast as the channel takes them. With `count`, the source ends after that many
 *   readings and `done()` resolves.
 * - The default reading is `{ sensor, seq, value }`: `sensors` sensors ("synthetic-0" …) take
 *   turns, each value a random walk around 20 in steps of at most ±0.5. `generate` replaces it.
 *
 * @example
 *   const source = new SyntheticSource({ channel: await rt.channel("temperature"), seed: 42, perSecond: 50, count: 500 });
 *   await source.start();
 *   await source.done();
 *
 * @param seed      default 1
 * @param perSecond readings per second (default 10; Infinity = unpaced)
 * @param count     stop after this many readings (default: never)
 * @param sensors   how many simulated sensors take turns (default 1)
 * @param startTs   timestamp of the first reading, in µs (default: arrival time)
 * @param generate  (random, seq) => value, with random() uniform in [0, 1) from the seed
 */
import { InvalidOptionError, RateLimiter, assertTimestamp, now } from "../../runtime/index.ts";
import { SourceBase } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";
import { seededRandom } from "../../runtime/index.ts";

export type SyntheticReading = { sensor: string; seq: number; value: number };

export type SyntheticSourceOptions<T> = Omit<SourceOptions<T>, "timestamp" | "map"> & {
  seed?: number;
  perSecond?: number;
  count?: number;
  sensors?: number;
  startTs?: number;
  generate?: (random: () => number, seq: number) => T;
};


export class SyntheticSource<T = SyntheticReading> extends SourceBase<T> {
  private readonly seed: number;
  private readonly perSecond: number;
  private readonly count: number;
  private readonly startTs: number | undefined;
  private readonly generate: (random: () => number, seq: number) => T;

  constructor(options: SyntheticSourceOptions<T>) {
    super("synthetic", options);
    this.seed = options.seed ?? 1;
    this.perSecond = options.perSecond ?? 10;
    if (!(this.perSecond > 0)) throw new InvalidOptionError("perSecond", this.perSecond, "a positive number, or Infinity for unpaced");
    this.count = options.count ?? Infinity;
    this.startTs = options.startTs;
    if (this.startTs !== undefined) assertTimestamp(this.startTs);
    this.generate = options.generate ?? (randomWalk(options.sensors ?? 1) as unknown as (random: () => number, seq: number) => T);
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    const random = seededRandom(this.seed);
    const pace = Number.isFinite(this.perSecond) ? new RateLimiter(this.perSecond, 1) : undefined;
    const periodUs = Number.isFinite(this.perSecond) ? 1e6 / this.perSecond : 1;
    this.connected = true;
    try {
      for (let seq = 0; seq < this.count && !signal.aborted; seq++) {
        if (pace) await pace.take(signal).catch(() => undefined);
        if (signal.aborted) break;
        const ts = this.startTs === undefined ? now() : this.startTs + Math.round(seq * periodUs);
        await this.ingest.put(this.generate(random, seq), ts, signal);
      }
    } finally {
      this.connected = false;
    }
  }
}

function randomWalk(sensors: number): (random: () => number, seq: number) => SyntheticReading {
  const values = new Array<number>(sensors).fill(20);
  const names = values.map((_, i) => `synthetic-${i}`);
  return (random, seq) => {
    const i = seq % sensors;
    values[i] = Math.round((values[i] + (random() - 0.5)) * 1000) / 1000;
    return { sensor: names[i], seq, value: values[i] };
  };
}
