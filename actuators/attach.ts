/**
 * attach: feeds a channel's items to an actuator, live, until stopped — the last stage of
 * sense → prioritize → process → actuate.
 *
 * Guarantees:
 * - Starts with the items put after attach ("live", the default), or from any bound ("oldest",
 *   a timestamp), then follows the channel: every item from there on is handled once.
 * - With concurrency 1 (the default) items are handled one at a time, in timestamp order; with
 *   more, up to that many at once.
 * - Failures never end the loop: they are outcomes (see the actuator's stats() and dead-letter
 *   channel). `stop()` stops taking items and waits for those in flight; the loop also ends
 *   when the channel's runtime stops.
 *
 * @example
 *   const hook = new WebhookActuator({ url: "http://127.0.0.1:8080/hook", deadLetter: await rt.channel("dead letters") });
 *   const attachment = attach(hook, await rt.lookup("alerts"), { onOutcome: (o) => o.status !== "ok" && console.warn(o) });
 *   // …
 *   await attachment.stop();
 */
import { ChannelClosedError, WaitAbortedError, type Bound, type Channel } from "../channels/index.ts";
import type { Actuator, AttachOptions, Attachment } from "./types.ts";

export function attach<T>(actuator: Actuator<T>, channel: Channel<T>, options: AttachOptions = {}): Attachment {
  const controller = new AbortController();
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const onOutcome = options.onOutcome;
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    let from: Bound;
    if (options.from === undefined || options.from === "live") {
      const newest = await channel.get("newest");
      from = newest ? newest.ts + 1 : "oldest";
    } else from = options.from;
    try {
      for await (const item of channel.items({ from, follow: true, signal: controller.signal })) {
        const handled: Promise<void> = actuator.handle(item).then((outcome) => {
          inFlight.delete(handled);
          try {
            onOutcome?.(outcome, item);
          } catch (err) {
            process.emitWarning(`PTS: onOutcome of ${actuator.name} threw: ${(err as Error).message}`);
          }
        });
        inFlight.add(handled);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    } catch (err) {
      if (!(err instanceof WaitAbortedError || err instanceof ChannelClosedError || controller.signal.aborted)) throw err;
    }
    await Promise.all(inFlight);
  })();
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
