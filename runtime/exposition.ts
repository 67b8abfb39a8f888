/**
 * The Prometheus text exposition (format 0.0.4) of collected samples: what /metrics serves for
 * PTS's own families, written straight from the collectors' numbers at each scrape.
 *
 * Speed is designed in (pino's way): each family's `# HELP`/`# TYPE` header and each bucket's
 * `le` are built once, when the family is registered; a scrape only concatenates. Building the
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
    for (const [labels, value] of samples) out += `${name}${labelSet("", labels)} ${number(value)}\n`;
    return out;
  };
}

/** Writes a histogram's series (`_bucket`, `_sum`, `_count`), header included. */
export function histogramWriter(name: string, help: string): (samples: HistogramSamples) => string {
  const head = header(name, help, "histogram");
  const bucket = `${name}_bucket`;
  const les = new Map<readonly number[], string[]>();
  return (samples) => {
    let out = head;
    for (const [labels, h] of samples) {
      let le = les.get(h.bounds);
      if (le === undefined) {
        le = [...h.bounds.map((b) => `le="${number(b)}"`), 'le="+Inf"'];
        les.set(h.bounds, le);
      }
      let cumulative = 0;
      for (let i = 0; i < le.length; i++) {
        cumulative += h.counts[i];
        out += `${bucket}${labelSet(le[i], labels)} ${cumulative}\n`;
      }
      const own = labelSet("", labels);
      out += `${name}_sum${own} ${number(h.sum)}\n${name}_count${own} ${h.count}\n`;
    }
    return out;
  };
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${type}\n`;
}

/** `{first,k="v",…}`, or "" for no labels at all; `first` is an already formatted pair (le). */
function labelSet(first: string, labels: Labels): string {
  let out = first;
  for (const key in labels) out += `${out === "" ? "" : ","}${key}="${escape(labels[key])}"`;
  return out === "" ? "" : `{${out}}`;
}

function escape(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return `${value}`;
}
