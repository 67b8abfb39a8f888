// The error registry, the error classes and the README's table agree (after fastify's test).
import { readFileSync } from "node:fs";
import t from "tap";
import * as pts from "../index.ts";
import { ERROR_CODES, PtsError, RvmError } from "../index.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const table = new Map<string, string[]>();
for (const line of readme.split("\n")) {
  const m = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
  if (m) table.set(m[1], m[2].split("|").map((c) => c.trim()));
}

t.test("errors - every error class's code is in the registry", async (t) => {
  const classes = Object.values(pts).filter((v): v is typeof PtsError & { code: string } => typeof v === "function" && v.prototype instanceof PtsError && typeof (v as { code?: unknown }).code === "string");
  t.ok(classes.length >= 10, `found ${classes.length} error classes`);
  for (const c of classes) t.ok(c.code in ERROR_CODES, `${c.name}.code ${c.code} is registered`);
  t.ok(RvmError.prototype instanceof PtsError, "RvmError is a PtsError");
});

t.test("errors - the README table lists exactly the registry, with its descriptions", async (t) => {
  t.same([...table.keys()].sort(), Object.keys(ERROR_CODES).sort());
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    const row = table.get(code);
    t.equal(row?.[0], entry.description.replaceAll("|", "\\|"), `${code} description`);
    t.equal(row?.[1], entry.solve.replaceAll("|", "\\|"), `${code} how to solve`);
  }
});

t.test("errors - an error has name, code, message and cause", async (t) => {
  const cause = new Error("root");
  const e = new pts.CodecError("json", "bad", cause);
  t.equal(e.name, "CodecError");
  t.equal(e.code, "PTS_CODEC");
  t.equal(e.cause, cause);
  t.ok(e instanceof PtsError && e instanceof Error);
});
