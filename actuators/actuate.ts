/**
 * actuate: an rxjs operator that hands each item to an actuator and emits the item with its
 * outcome — for pipelines built on `channel.observe()`.
 *
 * Guarantees: every item is handled once; up to `concurrency` (default 1) at a time, so with 1
 * outcomes come out in input order. Failures are outcomes, never errors: the stream goes on.
 * Unsubscribing stops taking items; attempts in flight still finish.
 *
 * @example
 *   alerts.observe().pipe(actuate(new LogActuator())).subscribe(({ item, outcome }) => …);
 */
import { mergeMap, type OperatorFunction } from "rxjs";
import type { Item } from "../channels/index.ts";
import type { Actuator, Outcome } from "./types.ts";

export type Actuated<T> = { item: Item<T>; outcome: Outcome };

export function actuate<T>(actuator: Actuator<T>, concurrency = 1): OperatorFunction<Item<T>, Actuated<T>> {
  return mergeMap(async (item: Item<T>) => ({ item, outcome: await actuator.handle(item) }), concurrency);
}
