/**
 * observeItems: a channel as an rxjs Observable — the stored items from `from` (default the
 * newest), then every live item, until `to` or the runtime stops (complete). Unsubscribing
 * ends the underlying wait at once. Local and remote channels share it.
 *
 * @example
 *   ch.observe().pipe(filter((i) => i.value.score > 0.5)).subscribe(alert);
 */
import { Observable } from "rxjs";
import type { Item } from "./types.ts";

/** `iterate` opens a following items() iterator, once per subscription. */
export function observeItems<T>(iterate: () => AsyncIterator<Item<T>>): Observable<Item<T>> {
  return new Observable<Item<T>>((subscriber) => {
    const it = iterate();
    (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        subscriber.next(r.value);
      }
      subscriber.complete();
    })().catch((err: unknown) => subscriber.error(err));
    return () => void it.return?.();
  });
}
