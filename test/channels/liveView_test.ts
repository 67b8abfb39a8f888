// The live view over HTTP: the page, /api/channels, latest.jpg, stream.mjpeg and the 404s.
import http from "node:http";
import t, { type Test } from "tap";
import { type Frame, Runtime, SyntheticCamera, frameCodec } from "../../index.ts";
import { type MotionEvent, motionEventCodec } from "../../pipelines/examples/motion-alert.ts";
import { MJPEG_BOUNDARY } from "../../channels/liveViewImages.ts";
import type { LiveChannel } from "../../channels/liveView.ts";
import { tick, until } from "../helpers.ts";

const cam = new SyntheticCamera({ seed: 5, width: 160, height: 120 });
const frame = async (seq: number): Promise<Frame> => ({ camera: "front door", seq, width: 160, height: 120, ts: 1_800_000_000_000_000 + seq * 100_000, jpeg: await cam.render(seq) });

async function started(t: Test): Promise<{ rt: Runtime; base: string }> {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  return { rt, base: rt.metricsAddress!.url.replace(/\/metrics$/, "") };
}

const image = (name: string, file: string) => `/channels/${encodeURIComponent(name)}/${file}`;

t.test("live view - the page, and /api/channels with counts, time span, bytes and image kind", async (t) => {
  const { rt, base } = await started(t);
  const video = await rt.channel<Frame>("front door/video", { codec: frameCodec, retain: { bytes: 1 << 20 } });
  const door = await rt.channel<number>("door sensor");
  const events = await rt.channel<MotionEvent>("motion-alert.process", { codec: motionEventCodec });
  for (let seq = 0; seq < 3; seq++) {
    const f = await frame(seq);
    await video.put(f, f.ts);
  }
  await door.put(1, 1_000);
  await door.put(0, 3_000);

  const page = await fetch(`${base}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get("content-type"), /^text\/html/);
  const html = await page.text();
  t.match(html, /PTS live view/);
  t.notMatch(html, /<(script|link)[^>]+(src|href)=["']?https?:/i, "no external assets");
  t.equal((await fetch(`${base}/live`)).status, 200, "/live is the page too");

  const res = await fetch(`${base}/api/channels`);
  t.equal(res.status, 200);
  t.match(res.headers.get("content-type"), /^application\/json/);
  const body = (await res.json()) as { now: number; channels: LiveChannel[] };
  t.same(body.channels.map((c) => c.name), ["door sensor", "front door/video", "motion-alert.process"], "sorted by name");
  const [d, v, e] = body.channels;
  t.match(d, { codec: "json", items: 2, puts: 2, oldest: 1_000, newest: 3_000, spanMs: 2, windowBytes: null, storedBytes: null, image: null });
  t.match(v, { codec: "frame", items: 3, puts: 3, spanMs: 200, image: "frame" });
  t.ok(v.windowBytes! > 3 * 28, "a window with retain.bytes reports its bytes");
  t.match(e, { items: 0, image: null }, "an empty events channel has no images yet");
  await events.put({ camera: "front door", seq: 2, score: 0.1, boxes: [], width: 160, height: 120, snapshot: (await frame(2)).jpeg });
  const after = (await (await fetch(`${base}/api/channels`)).json()) as { channels: LiveChannel[] };
  t.equal(after.channels[2].image, "snapshot", "events with a snapshot JPEG carry images");

  const none = (await (await fetch(`${base}/api/pipelines`)).json()) as { pipelines: unknown[] };
  t.same(none.pipelines, [], "no pipelines: an empty list");
  t.equal((await fetch(`${base}/api/nothing`)).status, 404);
  t.equal((await fetch(`${base}/`, { method: "POST" })).status, 405);
  t.equal((await fetch(`${base}/metrics`)).status, 200, "/metrics still answers");
});

t.test("live view - latest.jpg is the newest frame's JPEG, or a snapshot's; 404s say why", async (t) => {
  const { rt, base } = await started(t);
  const video = await rt.channel<Frame>("front door/video", { codec: frameCodec });
  const empty = await rt.channel<Frame>("empty cam", { codec: frameCodec });
  const door = await rt.channel<number>("door sensor");
  const events = await rt.channel<MotionEvent>("motion-alert.process", { codec: motionEventCodec });
  t.ok(empty);
  const frames = [await frame(0), await frame(7), await frame(3)];
  for (const f of frames) await video.put(f, f.ts);
  await door.put(1);

  const res = await fetch(base + image("front door/video", "latest.jpg"));
  t.equal(res.status, 200);
  t.equal(res.headers.get("content-type"), "image/jpeg");
  const bytes = Buffer.from(await res.arrayBuffer());
  t.same([bytes[0], bytes[1]], [0xff, 0xd8], "a JPEG: starts with SOI");
  t.ok(bytes.equals(frames[1].jpeg), "the newest frame by timestamp (seq 7), byte for byte");
  t.equal(res.headers.get("x-pts-timestamp"), String(frames[1].ts));

  const snapshot = (await frame(9)).jpeg;
  await events.put({ camera: "front door", seq: 9, score: 0.2, boxes: [{ x: 1, y: 2, width: 3, height: 4 }], width: 160, height: 120, snapshot });
  const snap = await fetch(base + image("motion-alert.process", "latest.jpg"));
  t.equal(snap.status, 200);
  t.ok(Buffer.from(await snap.arrayBuffer()).equals(snapshot), "the annotated snapshot of the newest event");

  const unknown = await fetch(base + image("nobody", "latest.jpg"));
  t.equal(unknown.status, 404);
  t.match(await unknown.text(), /no channel named "nobody"/);
  const numbers = await fetch(base + image("door sensor", "latest.jpg"));
  t.equal(numbers.status, 404);
  t.match(await numbers.text(), /does not carry images/);
  const noFrame = await fetch(base + image("empty cam", "latest.jpg"));
  t.equal(noFrame.status, 404);
  t.match(await noFrame.text(), /has no image yet/);
  const stream = await fetch(base + image("door sensor", "stream.mjpeg"));
  t.equal(stream.status, 404, "no stream of a channel without images");
  await stream.text();
  t.equal((await fetch(`${base}/channels/%E0%A4%A/latest.jpg`)).status, 400, "a badly encoded name");
});

/** Reads an MJPEG response's parts as they come: each part's headers and JPEG bytes. */
function mjpegReader(res: http.IncomingMessage): { parts: { headers: string; jpeg: Buffer }[]; ended: () => boolean } {
  const parts: { headers: string; jpeg: Buffer }[] = [];
  let buf = Buffer.alloc(0);
  let ended = false;
  const marker = Buffer.from(`--${MJPEG_BOUNDARY}\r\n`);
  res.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < marker.length) return;
      if (!buf.subarray(0, marker.length).equals(marker)) throw new Error(`expected a boundary, got ${JSON.stringify(buf.subarray(0, 40).toString("latin1"))}`);
      const headEnd = buf.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const headers = buf.subarray(marker.length, headEnd).toString("latin1");
      const length = Number(/Content-Length: (\d+)/i.exec(headers)?.[1]);
      const start = headEnd + 4;
      if (buf.length < start + length + 2) return;
      parts.push({ headers, jpeg: Buffer.from(buf.subarray(start, start + length)) });
      buf = buf.subarray(start + length + 2);
    }
  });
  res.on("end", () => (ended = true));
  res.on("close", () => (ended = true));
  return { parts, ended: () => ended };
}

function open(url: string): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => resolve({ req, res }));
    req.on("error", reject);
  });
}

async function waiters(base: string, channel: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`pts_channel_waiters{channel="${channel}"} `));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

t.test("live view - stream.mjpeg pushes each frame as it is put, and lets go when the client leaves", async (t) => {
  const { rt, base } = await started(t);
  const video = await rt.channel<Frame>("cam", { codec: frameCodec });
  const first = await frame(0);
  await video.put(first, first.ts);
  const { req, res } = await open(base + image("cam", "stream.mjpeg"));
  t.equal(res.statusCode, 200);
  t.equal(res.headers["content-type"], `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`);
  const reader = mjpegReader(res);
  await until(() => reader.parts.length >= 1, "the newest frame as the first part", 30_000);
  t.ok(reader.parts[0].jpeg.equals(first.jpeg), "the first part is the frame already there");
  for (let seq = 1; seq <= 3; seq++) {
    const f = await frame(seq);
    await video.put(f, f.ts);
    await until(() => reader.parts.length >= seq + 1, `part ${seq + 1}`, 30_000, () => reader.parts.length);
    t.ok(reader.parts[seq].jpeg.equals(f.jpeg), `part ${seq + 1} is frame ${seq}, as put`);
    t.match(reader.parts[seq].headers, /Content-Type: image\/jpeg/);
    t.match(reader.parts[seq].headers, new RegExp(`X-PTS-Timestamp: ${f.ts}`));
  }
  t.equal(await waiters(base, "cam"), 1, "the stream waits on the channel");
  req.destroy();
  const deadline = Date.now() + 30_000;
  let left = await waiters(base, "cam");
  while (left !== 0) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the stream to stop waiting once the client left: ${left} waiters`);
    await tick(10);
    left = await waiters(base, "cam");
  }
  t.equal(left, 0, "the stream let go of the channel");
});

t.test("live view - stream.mjpeg of motion events, and the stream ends when the runtime stops", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const base = rt.metricsAddress!.url.replace(/\/metrics$/, "");
  const events = await rt.channel<MotionEvent>("motion-alert.process", { codec: motionEventCodec });
  const snapshots = [(await frame(1)).jpeg, (await frame(2)).jpeg, (await frame(3)).jpeg];
  await events.put({ camera: "c", seq: 0, score: 0.5, boxes: [], width: 160, height: 120, snapshot: snapshots[0] });
  const { res } = await open(base + image("motion-alert.process", "stream.mjpeg"));
  t.equal(res.statusCode, 200, "a channel of events streams once it has one with a snapshot");
  const reader = mjpegReader(res);
  await until(() => reader.parts.length >= 1, "the newest event on the stream", 30_000);
  await events.put({ camera: "c", seq: 1, score: 0.5, boxes: [], width: 160, height: 120, snapshot: Buffer.alloc(0) }).catch(() => undefined);
  for (const i of [1, 2]) {
    await events.put({ camera: "c", seq: i + 1, score: 0.5, boxes: [], width: 160, height: 120, snapshot: snapshots[i] });
    await until(() => reader.parts.length > i, `event ${i} on the stream`, 30_000, () => reader.parts.length);
  }
  t.same(reader.parts.map((p) => p.jpeg), snapshots, "each event's snapshot, and nothing for an event without one");
  await rt.stop();
  await until(() => reader.ended(), "the stream to end when the runtime stops", 30_000);
  t.equal(reader.parts.length, 3);
});
