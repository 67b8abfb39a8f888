// The live view in a real browser: Debian's headless Chromium, driven by playwright-core, opens
// the page of a runtime running a synthetic camera, sees the channels and gets frames.
import t from "tap";
import { chromium } from "playwright-core";
import { type Frame, Runtime, SyntheticCamera, frameCodec } from "../../index.ts";
import { tempDir } from "../helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const WAIT_MS = 60_000;

t.test("live view - headless Chromium sees the channels and the camera's frames", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const base = rt.metricsAddress!.url.replace(/\/metrics$/, "");
  const video = await rt.channel<Frame>("yard camera", { codec: frameCodec, retain: { count: 32 } });
  const door = await rt.channel<number>("door sensor");
  await door.put(1);
  const camera = new SyntheticCamera({ channel: video, id: "yard", seed: 7, width: 160, height: 120, fps: 10 }).start();
  t.teardown(() => camera.stop());

  // A fresh profile (launchPersistentContext's directory is Chromium's --user-data-dir); headless: true adds --headless.
  const context = await chromium.launchPersistentContext(await tempDir(t), { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: WAIT_MS });
  t.teardown(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  const response = await page.goto(`${base}/`);
  t.equal(response?.status(), 200);
  t.equal(await page.title(), "PTS live view");

  await page.waitForFunction(() => {
    const text = document.getElementById("channels")?.textContent ?? "";
    return text.includes("yard camera") && text.includes("door sensor");
  }, undefined, { timeout: WAIT_MS }).catch((err: Error) => {
    throw new Error(`the channel table never listed "yard camera" and "door sensor": ${err.message}`);
  });
  t.pass("the page lists the channels");

  // The camera's <img> shows the newest frame from latest.jpg.
  const width = await page
    .waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[data-channel="yard camera"]');
      return img !== null && img.complete && img.naturalWidth > 0 ? img.naturalWidth : false;
    }, undefined, { timeout: WAIT_MS })
    .then((h) => h.jsonValue())
    .catch((err: Error) => {
      throw new Error(`the camera's <img> never showed a frame: ${err.message}`);
    });
  t.equal(width, 160, "the <img> shows a 160x120 frame");

  const fetched = await page.evaluate(async (url) => {
    const res = await fetch(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get("content-type"), head: [bytes[0], bytes[1]], length: bytes.length };
  }, `${base}/channels/${encodeURIComponent("yard camera")}/latest.jpg`);
  t.match(fetched, { status: 200, type: "image/jpeg", head: [0xff, 0xd8] }, "the page fetches a JPEG from latest.jpg");
  t.ok(fetched.length > 100, "a whole JPEG, not a stub");

  const rate = await page
    .waitForFunction(() => {
      const rows = [...document.querySelectorAll("#channels tr")];
      const row = rows.find((r) => r.firstElementChild?.textContent === "yard camera");
      const cell = row?.children[2]?.textContent ?? "–";
      return cell !== "–" ? cell : false;
    }, undefined, { timeout: WAIT_MS })
    .then((h) => h.jsonValue());
  t.match(rate, /^\d+\.\d\/s$/, "a put rate, computed between polls");
});
