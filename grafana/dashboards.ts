/**
 * Generates the Grafana dashboards in grafana/dashboards/*.json from grafana/panels.ts: plain
 * dashboard JSON (schemaVersion 39) that Grafana's file provisioning
 * (grafana/provisioning/dashboards/pts.yml) loads as is.
 *
 *   node --import tsx grafana/dashboards.ts          # writes the files
 *   node --import tsx grafana/dashboards.ts --check  # exits 1 when a file is out of date
 *
 * The files are committed; test/grafana/prometheus_test.ts checks that they equal what this
 * generates, and evaluates every query in them against a real Prometheus scraping PTS.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DASHBOARDS, DATASOURCE_UID, type DashboardDef, type PanelDef } from "./panels.ts";

export const DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "dashboards");

const DATASOURCE = { type: "prometheus", uid: DATASOURCE_UID } as const;
/** Panels per row on Grafana's 24-column grid. */
const COLUMNS = 2;
const WIDTH = 24 / COLUMNS;
const HEIGHT = 8;

export type DashboardJson = Record<string, unknown>;

function panelJson(p: PanelDef, index: number): Record<string, unknown> {
  const width = p.width ?? WIDTH;
  const base = {
    id: index + 1,
    type: p.kind,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: HEIGHT, w: width, x: (index % COLUMNS) * WIDTH, y: Math.floor(index / COLUMNS) * HEIGHT },
    targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: t.expr, legendFormat: t.legend, range: true, editorMode: "code" })),
  };
  if (p.kind === "stat") {
    return {
      ...base,
      fieldConfig: { defaults: { unit: p.unit, color: { mode: "thresholds" }, thresholds: { mode: "absolute", steps: [{ color: "green", value: null }] } }, overrides: [] },
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area", justifyMode: "auto", orientation: "auto", textMode: "auto" },
    };
  }
  return {
    ...base,
    fieldConfig: { defaults: { unit: p.unit, custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never", spanNulls: false }, color: { mode: "palette-classic" } }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

/** One dashboard's JSON. */
export function dashboardJson(d: DashboardDef): DashboardJson {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ["pts"],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "10s",
    time: { from: "now-15m", to: "now" },
    timepicker: {},
    templating: { list: [] },
    annotations: { list: [] },
    links: [{ title: "PTS dashboards", type: "dashboards", tags: ["pts"], asDropdown: true, includeVars: false, keepTime: true }],
    panels: d.panels.map(panelJson),
  };
}

/** Every dashboard: its file name and the text written there. */
export function generate(): { file: string; text: string }[] {
  return DASHBOARDS.map((d) => ({ file: d.file, text: `${JSON.stringify(dashboardJson(d), null, 2)}\n` }));
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const { file, text } of generate()) {
    const path = join(DASHBOARDS_DIR, file);
    if (check) {
      const current = await readFile(path, "utf8").catch(() => "");
      if (current !== text) {
        stale++;
        process.stderr.write(`grafana: ${path} is out of date; run npm run dashboards\n`);
      }
    } else {
      await writeFile(path, text);
      process.stderr.write(`grafana: wrote ${path}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
