/**
 * LogActuator: writes one line per item to a stream (default stdout) — for watching a pipeline,
 * or as the last resort of a dead-letter channel.
 *
 * Guarantees: each item is one line, written whole; "json" (default) lines are
 * `{"actuator":…,"ts":…,"time":…,"value":…}` (binary values base64), "text" lines are
 * `<ISO time> <name> <value as JSON>`. The outcome waits for the stream to drain when it is
 * full, so a slow terminal or pipe pushes back instead of buffering without bound.
 *
 * @example
 *   attach(new LogActuator({ format: "text" }), await rt.lookup("alerts"));
 *   // 2026-11-25T10:00:00.000000Z log {"zone":"gate","score":0.93}
 *
 * @param stream  where lines go (default process.stdout)
 * @param format  "json" (default) or "text"
 */
import type { Writable } from "node:stream";
import type { Item } from "../channels/index.ts";
import { toIso } from "../runtime/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import { toJson } from "./actuatorInternals.ts";
import type { ActuatorOptions } from "./types.ts";

export type LogActuatorOptions = ActuatorOptions & { stream?: Writable; format?: "json" | "text" };

export class LogActuator<T = unknown> extends BaseActuator<T> {
  private readonly stream: Writable;
  private readonly text: boolean;
  private readonly prefix: string;

  constructor(options: LogActuatorOptions = {}) {
    super("log", options);
    this.stream = options.stream ?? process.stdout;
    this.text = options.format === "text";
    // Precomputed once: the actuator field of every JSON line.
    this.prefix = `{"actuator":${JSON.stringify(this.name)},"ts":`;
  }

  protected override async attempt(item: Item<T>, signal: AbortSignal): Promise<void> {
    const value = toJson(item.value);
    const time = toIso(item.ts);
    // Concatenation rather than JSON.stringify of a wrapper object: the value is encoded once.
    const line = this.text ? `${time} ${this.name} ${value}\n` : `${this.prefix}${item.ts},"time":"${time}","value":${value}}\n`;
    if (this.stream.destroyed || this.stream.writableEnded) throw new ActuatorError("write", "the log stream is closed", { retryable: false });
    if (this.stream.write(line)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.stream.off("drain", onDrain);
        this.stream.off("error", settle);
        signal.removeEventListener("abort", onDrain);
        if (err) reject(new ActuatorError("write", `log stream failed: ${err.message}`, { cause: err }));
        else resolve();
      };
      const onDrain = () => settle();
      this.stream.once("drain", onDrain);
      this.stream.once("error", settle);
      signal.addEventListener("abort", onDrain, { once: true });
    });
  }
}
