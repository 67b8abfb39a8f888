/**
 * observeItems: a channel as an rxjs Observable — the stored items from `from` (default the
 * newest), then every live item, until `to` or the runtime stops (complete). Unsubscribing
 * ends the underlying wait at once.
 *
 * @example
 *   ch.observe().pipe(filter((i) => i.value.score > 0.5)).subscribe(alert);
 */
import { Observable } from "rxjs";
import { ItemsIterator, type ItemSource } from "./itemsIterator.ts";
import type { Item, ObserveOptions } from "./types.ts";

export function observeItems<T>(source: ItemSource<T>, options: ObserveOptions = {}): Observable<Item<T>> {
  return new Observable<Item<T>>((subscriber) => {
    const it = new ItemsIterator(source, { from: options.from ?? "newest", to: options.to, follow: true });
    (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        subscriber.next(r.value);
      }
      subscriber.complete();
    })().catch((err: unknown) => subscriber.error(err));
    return () => void it.return();
  });
}
