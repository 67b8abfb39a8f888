/**
 * imperative-loop: a pipeline script written as plain PTS loops (lookup, get, put), as an
 * `async (rt, args, signal) => {}` export — no pipeline() definition.
 *
 *   pts run pipelines/examples/imperative-loop.ts --for 10s
 *
 * Two synthetic sensors put readings at 20 Hz into "sensors.temperature" and
 * "sensors.humidity", with a little clock jitter so items sometimes arrive out of order. A
 * detector (a named consumer, running the seed loop of DESIGN.md) takes each temperature,
 * keeps a rolling average and puts an alert into "alerts" with the reading's own timestamp
 * whenever the temperature jumps. A stream group aligns each temperature with the nearest
 * humidity reading within 10 ms. A logger observes "alerts". Every second a status line shows
 * counts, rates and the live window of each channel.
 */
import { type Item, type Runtime, now, toIso } from "../../index.ts";

type Reading = { sensor: string; value: number };
type Alert = { reading: number; average: number; humidity: number | "missing" };

export default async function run(rt: Runtime, _args: readonly string[], signal: AbortSignal): Promise<void> {
  const temperature = await rt.channel<Reading>("sensors.temperature", { retain: { ms: 60_000 } });
  const humidity = await rt.channel<Reading>("sensors.humidity", { retain: { ms: 60_000 } });
  const alerts = await rt.channel<Alert>("alerts", { retain: { count: 1000 } });
  const group = await rt.group<Reading, { humidity: Reading }>({ anchor: temperature, dependents: { humidity }, toleranceMs: 10 });

  // The sensors: a slow sine with occasional spikes, and humidity that drifts.
  let tick = 0;
  const producer = setInterval(() => {
    tick++;
    const ts = now();
    const spike = tick % 37 === 10 ? 6 : 0;
    void temperature.put({ sensor: "t1", value: 21 + 2 * Math.sin(tick / 20) + spike }, ts);
    // Humidity is stamped up to 4 ms apart from the temperature, as a separate device would be.
    void humidity.put({ sensor: "h1", value: 40 + 5 * Math.cos(tick / 50) }, ts + ((tick % 5) - 2) * 1000 + 1);
  }, 50);

  // The detector: the seed loop, with a named cursor.
  const detector = (async () => {
    const input = await rt.lookup<Reading>("sensors.temperature", { consumer: "detector", from: "oldest" });
    let average = 21;
    while (!signal.aborted) {
      let r: Item<Reading>;
      try {
        r = await input.get();
      } catch {
        return; // the runtime stopped
      }
      if (Math.abs(r.value.value - average) > 3) {
        const aligned = await group.get(r.ts);
        const h = aligned?.dependents.humidity;
        await alerts.put({ reading: r.value.value, average, humidity: h === undefined || h === "missing" ? "missing" : h.value.value }, r.ts);
      }
      average = 0.9 * average + 0.1 * r.value.value;
    }
  })();

  // The logger: everything put into "alerts", as it happens.
  const logger = alerts.observe().subscribe((a) => {
    const { reading, average, humidity: h } = a.value;
    process.stdout.write(`alert   ${toIso(a.ts)}  temperature ${reading.toFixed(2)} vs average ${average.toFixed(2)}, humidity ${typeof h === "number" ? h.toFixed(1) + "%" : h}\n`);
  });

  const started = now();
  const printStatus = () => {
    const secs = (now() - started) / 1e6;
    const parts = rt.channels().map((c) => `${c.name}: ${c.puts} puts (${(c.puts / secs).toFixed(1)}/s), ${c.items} live`);
    process.stdout.write(`status  ${secs.toFixed(1)}s  ${parts.join(" · ")} · humidity misses ${group.missing.humidity}\n`);
  };
  const status = setInterval(printStatus, 1000);

  process.stdout.write("imperative-loop: two sensors -> detector -> alerts\n");
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  clearInterval(producer);
  clearInterval(status);
  printStatus();
  logger.unsubscribe();
  await rt.stop();
  await detector;
  process.stdout.write("imperative-loop: stopped cleanly\n");
}
