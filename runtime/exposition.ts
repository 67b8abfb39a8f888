/**
 * The Prometheus text exposition (format 0.0.4) of collected samples: what /metrics serves for
 * PTS's own families, written straight from the collectors' numbers at each scrape.
 *
 * Speed is designed in (pino's way): each family's `# HELP`/`# TYPE` header and each bucket
 * line's start (`name_bucket{le="0.005"`) are built once, and a series' labels are formatted
 * once per scrape, not once per bucket line; a scrape only concatenates. Building the
 * same text through prom-client (a value object per series, labels formatted per line) cost the
 * scrape several times more.
 *
 * Guarantees: the text prom-client would serve for the same values — label values escaped
 * (backslash, double quote, newline), `le` first on buckets, buckets cumulative and ending with
 * +Inf, then `_sum` and `_count` — except NaN, spelled as Prometheus does ("NaN", where
 * prom-client writes "Nan").
 *
 * @example
 *   const write = samplesWriter("pts_channel_puts_total", "Items put.", "counter");
 *   write([[{ channel: "door" }, 3]]);   // '# HELP …\n# TYPE …\npts_channel_puts_total{channel="door"} 3\n'
 */
import type { LatencyHistogram } from "./latencyHistogram.ts";

export type Labels = Record<string, string>;
/** What a collector reports at scrape time: one value per label set. */
export type Samples = Iterable<readonly [Labels, number]>;
/** What a histogram collector reports at scrape time: one distribution per label set. */
export type HistogramSamples = Iterable<readonly [Labels, LatencyHistogram]>;

/** Writes a counter's or a gauge's samples, header included. */
export function samplesWriter(name: string, help: string, type: "counter" | "gauge"): (samples: Samples) => string {
  const head = header(name, help, type);
  return (samples) => {
    let out = head;
    for (const [labels, value] of samples) {
      const pairs = labelPairs(labels);
      out += `${name}${pairs === "" ? "" : `{${pairs}}`} ${formatValue(value)}\n`;
    }
    return out;
  };
}

/** Writes a histogram's series (`_bucket`, `_sum`, `_count`), header included. */
export function histogramWriter(name: string, help: string): (samples: HistogramSamples) => string {
  const head = header(name, help, "histogram");
  // Per bucket bounds, each bucket's line up to its labels: `name_bucket{le="0.005"`.
  const starts = new Map<readonly number[], string[]>();
  return (samples) => {
    let out = head;
    for (const [labels, h] of samples) {
      let start = starts.get(h.bounds);
      if (start === undefined) {
        start = [...h.bounds.map((b) => `${name}_bucket{le="${formatValue(b)}"`), `${name}_bucket{le="+Inf"`];
        starts.set(h.bounds, start);
      }
      // The series' own labels are formatted once, not once per bucket.
      const pairs = labelPairs(labels);
      const end = pairs === "" ? "} " : `,${pairs}} `;
      let cumulative = 0;
      for (let i = 0; i < start.length; i++) {
        cumulative += h.counts[i];
        out += `${start[i]}${end}${cumulative}\n`;
      }
      const own = pairs === "" ? " " : `{${pairs}} `;
      out += `${name}_sum${own}${formatValue(h.sum)}\n${name}_count${own}${h.count}\n`;
    }
    return out;
  };
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${type}\n`;
}

/** `k="v",…` for the labels, or "" for none. */
function labelPairs(labels: Labels): string {
  let out = "";
  for (const key in labels) out += `${out === "" ? "" : ","}${key}="${escape(labels[key])}"`;
  return out;
}

function escape(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

/** A sample value as Prometheus spells it. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return `${value}`;
}
