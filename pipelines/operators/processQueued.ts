/**
 * processQueued: the prioritize and process stages as one rxjs operator. Arriving items go into
 * a PriorityQueue; up to `concurrency` workers take the most urgent due item from it, run
 * `work`, and emit what came of it. Items wait in the bounded queue, never in an unbounded
 * buffer, so under overload latency stays bounded by the queue's deadline and drops are
 * counted by reason, where a plain `mergeMap(work, concurrency)` would let its buffer (and the
 * latency) grow without bound.
 *
 * The clock is a parameter (µs), so tests can run on virtual time.
 *
 * @example
 *   frames$.pipe(processQueued(new PriorityQueue({ capacity: 8, maxAgeMs: 500 }), detect, { concurrency: 2 }))
 */
import { Observable, type OperatorFunction } from "rxjs";
import type { Item } from "../../channels/index.ts";
import type { PriorityQueue } from "../priorityQueue.ts";

export type Processed<T, R> = { item: Item<T>; started: number; finished: number } & ({ ok: true; result: R } | { ok: false; error: unknown });

export type ProcessQueuedOptions = {
  concurrency: number;
  now: () => number;
  /** Called when a worker takes an item from the queue (the prioritize stage's output). */
  onAdmit?: (item: Item<unknown>) => void;
};

export function processQueued<T, R>(queue: PriorityQueue<T>, work: (item: Item<T>) => Promise<R>, options: ProcessQueuedOptions): OperatorFunction<Item<T>, Processed<T, R>> {
  const { concurrency, now, onAdmit } = options;
  return (source) =>
    new Observable<Processed<T, R>>((subscriber) => {
      let running = 0;
      let sourceDone = false;
      let closed = false;
      const finishIfIdle = () => {
        if (sourceDone && running === 0 && queue.size === 0) subscriber.complete();
      };
      const pump = () => {
        while (!closed && running < concurrency) {
          const item = queue.poll(now());
          if (!item) break;
          running++;
          onAdmit?.(item);
          const started = now();
          work(item).then(
            (result) => subscriber.next({ item, started, finished: now(), ok: true, result }),
            (error: unknown) => subscriber.next({ item, started, finished: now(), ok: false, error }),
          ).finally(() => {
            running--;
            pump();
            finishIfIdle();
          });
        }
      };
      const sub = source.subscribe({
        next: (item) => {
          queue.offer(item, now());
          pump();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          finishIfIdle();
        },
      });
      return () => {
        closed = true;
        sub.unsubscribe();
      };
    });
}
