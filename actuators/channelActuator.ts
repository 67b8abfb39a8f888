/**
 * ChannelActuator: puts each item into another channel — to hand results to the next stage,
 * another process (over NATS) or a persistent archive.
 *
 * Guarantees: the item keeps its timestamp (temporal causality flows on) unless `ts: "now"`; the
 * value is the item's value or `map(item)`. The outcome is "ok" once the put resolves (stored; with
 * persist "sync", durable). A refused put is reason "put": a duplicate timestamp is not retried,
 * other refusals are.
 *
 * @example
 *   const archive = new ChannelActuator({ channel: await rt.channel("alerts archive", { persist: { mode: "sync" } }) });
 *   attach(archive, await rt.lookup("alerts"));
 *
 * @param channel  where to put
 * @param map      the value to put for an item (default: its value)
 * @param ts       "item" (default) keeps the item's timestamp; "now" stamps clock.now()
 */
import { DuplicateTimestampError, type Channel, type Item } from "../channels/index.ts";
import { now } from "../runtime/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import type { ActuatorOptions } from "./types.ts";

export type ChannelActuatorOptions<T, U> = ActuatorOptions & { channel: Channel<U>; map?: (item: Item<T>) => U; ts?: "item" | "now" };

export class ChannelActuator<T = unknown, U = T> extends BaseActuator<T> {
  private readonly channel: Channel<U>;
  private readonly map: ((item: Item<T>) => U) | undefined;
  private readonly stampNow: boolean;

  constructor(options: ChannelActuatorOptions<T, U>) {
    super("channel", options);
    this.channel = options.channel;
    this.map = options.map;
    this.stampNow = options.ts === "now";
  }

  protected override async attempt(item: Item<T>): Promise<void> {
    const value = this.map ? this.map(item) : (item.value as unknown as U);
    try {
      await this.channel.put(value, this.stampNow ? now() : item.ts);
    } catch (err) {
      throw new ActuatorError("put", `put into ${JSON.stringify(this.channel.name)} failed: ${(err as Error).message}`, { retryable: !(err instanceof DuplicateTimestampError), cause: err });
    }
  }
}
