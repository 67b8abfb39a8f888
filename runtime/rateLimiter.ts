/**
 * RateLimiter: a token bucket, for sources polled or replayed at a rate and for actuators that
 * must not flood their target.
 *
 * Tokens refill continuously at `perSecond`, up to `burst`. `tryTake()` never waits; `take()`
 * waits for a token, and waiters are served in arrival order. Time is `now` (performance.now by
 * default), which a test may replace; `take()` sleeps in real time between looks at it, so a
 * clock that never moves makes it wait for ever.
 *
 * @example
 *   const limit = new RateLimiter(10);          // 10 per second, burst 10
 *   for (;;) { await limit.take(); await poll(); }
 */
import { InvalidOptionError } from "./errors.ts";
import { sleep } from "./backoff.ts";

export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    readonly burst = Math.max(1, perSecond),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new InvalidOptionError("rate", perSecond, "a positive number per second");
    if (!(burst >= 1)) throw new InvalidOptionError("burst", burst, "at least 1");
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      while (!this.tryTake()) await sleep(((1 - this.tokens) / this.perSecond) * 1000, signal);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
