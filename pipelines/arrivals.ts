/**
 * arrivals: every item put into a channel, in the order they arrive, as an rxjs Observable —
 * first the items already in the channel's window, then each put as it happens.
 *
 * A pipeline stage needs this rather than a time-ordered iterator: several sources put into
 * one sense channel, and a frame captured a little earlier can be put a little later than
 * another camera's. A cursor moving forward in time would skip it; arrivals hands it on, so a
 * stage sees every item, and the prioritize stage decides (and counts) what is dropped.
 *
 * Guarantee: each item is emitted once, also at the seam where the window's items end and live
 * puts begin (puts during that fetch are held and checked against what the fetch returned).
 */
import { Observable } from "rxjs";
import type { Channel, Item } from "../channels/index.ts";

export function arrivals<T>(channel: Channel<T>): Observable<Item<T>> {
  return new Observable<Item<T>>((subscriber) => {
    let live = false;
    const held: Item<T>[] = [];
    const off = channel.on("put", (item) => {
      if (live) subscriber.next(item);
      else held.push(item);
    });
    (async () => {
      const window = await channel.get("oldest", "newest");
      const seen = new Set<number>();
      for (const item of window) {
        seen.add(item.ts);
        subscriber.next(item);
      }
      for (const item of held) if (!seen.has(item.ts)) subscriber.next(item);
      held.length = 0;
      live = true;
    })().catch((err: unknown) => subscriber.error(err));
    return off;
  });
}
