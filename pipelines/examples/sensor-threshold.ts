/**
 * sensor-threshold: readings → a rolling average → an alarm when it crosses a threshold.
 *
 *   pts run pipelines/examples/sensor-threshold.ts -- [--rate 50] [--threshold 21.5] [--count N] [--seed S]
 *
 * The synthetic sensors random-walk around 20; the process stage keeps a rolling average per
 * sensor and raises an alarm event when it crosses the threshold (upwards), which the log
 * actuator prints and the `sensor-threshold.process` channel keeps.
 */
import { LogActuator } from "../../actuators/index.ts";
import { SyntheticSource, type SyntheticReading } from "../../sensors/index.ts";
import { pipeline } from "../pipeline.ts";

export type Alarm = { sensor: string; average: number; threshold: number };

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export function create(args: readonly string[]) {
  const threshold = option(args, "threshold", 21.5);
  const window = 10;
  const recent = new Map<string, number[]>();
  const above = new Map<string, boolean>();
  return pipeline<SyntheticReading, Alarm>({
    name: "sensor-threshold",
    sense: {
      sources: (sink) =>
        new SyntheticSource({
          channel: sink,
          seed: option(args, "seed", 7),
          perSecond: option(args, "rate", 50),
          sensors: 3,
          ...(args.includes("--count") ? { count: option(args, "count", 0), startTs: 1_800_000_000_000_000 } : {}),
        }),
    },
    prioritize: { capacity: 64, key: (item) => item.value.sensor },
    process: {
      fn: async ({ value }) => {
        const values = [...(recent.get(value.sensor) ?? []), value.value].slice(-window);
        recent.set(value.sensor, values);
        const average = values.reduce((a, b) => a + b, 0) / values.length;
        const wasAbove = above.get(value.sensor) ?? false;
        above.set(value.sensor, average > threshold);
        return !wasAbove && average > threshold ? { sensor: value.sensor, average, threshold } : undefined;
      },
    },
    actuate: { actuators: () => [new LogActuator<Alarm>({ format: "text", name: "alarm" })] },
  });
}
