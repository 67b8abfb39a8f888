/**
 * Deadlines: attempt timeouts shared by the attempts that start close together. Attempts that
 * start within one slot (1% of timeoutMs, at least 1 ms) share one AbortController and one timer;
 * per attempt there is only a Set entry. An AbortController and a timer per attempt were
 * measured at over a fifth of a light pipeline's CPU time.
 *
 * Guarantees: an attempt gets at least timeoutMs and at most timeoutMs plus one slot; at its
 * slot's end, its signal aborts with the timeout error and `run` rejects with it, whether the
 * attempt heeds the signal or not. When `closing` aborts, every slot's signal aborts with its
 * reason. A slot's timer keeps the process alive only while one of its attempts runs. Slots
 * are cut by `now` (performance.now by default), which a test may replace.
 *
 * @example
 *   const deadlines = new Deadlines(5000, closing.signal, () => new ActuatorError("timeout", "…"));
 *   await deadlines.run((signal) => fetch(url, { signal }));
 */
import { setMaxListeners } from "node:events";

type Slot = {
  controller: AbortController;
  /** The time (by the Deadlines' clock) until which new attempts join this slot. */
  openUntil: number;
  /** The rejecters of this slot's attempts still running. */
  running: Set<(err: unknown) => void>;
  /** Keeps the process alive only while an attempt of the slot runs. */
  timer: NodeJS.Timeout | undefined;
};

export class Deadlines {
  private current: Slot | undefined;
  /** Slots whose timer has not fired: what `closing` aborts. One listener for all of them. */
  private readonly live = new Set<Slot>();
  private readonly slotMs: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly closing: AbortSignal,
    private readonly timeoutError: () => Error,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.slotMs = Math.max(1, timeoutMs / 100);
    closing.addEventListener("abort", () => {
      for (const slot of this.live) slot.controller.abort(closing.reason);
    }, { once: true });
  }

  /** Runs one attempt against its deadline. */
  run<R>(attempt: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const slot = this.slot();
    return new Promise<R>((resolve, reject) => {
      if (slot.running.size === 0) slot.timer?.ref();
      slot.running.add(reject);
      const settled = () => {
        slot.running.delete(reject);
        if (slot.running.size === 0) slot.timer?.unref();
      };
      attempt(slot.controller.signal).then(
        (value) => {
          settled();
          resolve(value);
        },
        (err: unknown) => {
          settled();
          reject(err);
        },
      );
    });
  }

  private slot(): Slot {
    const t = this.now();
    if (this.current !== undefined && t < this.current.openUntil) return this.current;
    const slot: Slot = { controller: new AbortController(), openUntil: t + this.slotMs, running: new Set(), timer: undefined };
    // Every attempt of the slot may listen on its signal (fetch, spawn do): that is by design.
    setMaxListeners(0, slot.controller.signal);
    if (this.closing.aborted) slot.controller.abort(this.closing.reason);
    else this.live.add(slot);
    slot.timer = setTimeout(() => {
      this.live.delete(slot);
      if (slot.running.size === 0) return;
      const err = this.timeoutError();
      slot.controller.abort(err);
      for (const reject of slot.running) reject(err);
    }, this.timeoutMs + this.slotMs);
    slot.timer.unref();
    this.current = slot;
    return slot;
  }
}
