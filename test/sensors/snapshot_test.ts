import t from "tap";
import { SnapshotCamera } from "../../sensors/index.ts";
import { errorWatch, frameChannel, frames, jpegs, server } from "./cameraHelpers.ts";

t.test("snapshot - polls a local HTTP server and puts each image", async (t) => {
  const ch = await frameChannel(t);
  const images = await jpegs(3, 200, 100);
  let served = 0;
  const { url } = await server(t, (_req, res) => {
    res.writeHead(200, { "content-type": "image/jpeg" }).end(images[served++ % images.length]);
  });
  const cam = new SnapshotCamera({ url: `${url}snapshot.jpg`, rate: 50, channel: ch }).start();
  const got = await frames(ch, 4);
  await cam.stop();
  t.same(got.map((i) => i.value.seq), [0, 1, 2, 3]);
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, images[i.value.seq % 3])), [0, 0, 0, 0]);
  t.same([got[0].value.width, got[0].value.height], [200, 100]);
  t.equal(got[0].value.camera, url.slice("http://".length) + "snapshot.jpg", "default id: host and path");
  t.ok(got.every((i, k) => k === 0 || i.ts > got[k - 1].ts), "timestamps increase");
});

t.test("snapshot - failed polls and corrupt images are counted; polling goes on", async (t) => {
  const ch = await frameChannel(t);
  const [good, good2] = await jpegs(2);
  let served = 0;
  const { url } = await server(t, (_req, res) => {
    const n = served++;
    if (n === 1) res.writeHead(500).end("camera busy");
    else if (n === 2) res.writeHead(200).end(good.subarray(0, good.length / 2)); // truncated JPEG
    else if (n === 3) res.destroy(); // connection reset
    else res.writeHead(200).end(n === 0 ? good : good2);
  });
  const watch = errorWatch();
  const cam = new SnapshotCamera({ url, rate: 100, channel: ch, onError: watch.onError, backoff: { initialMs: 5, maxMs: 20 } }).start();
  const got = await frames(ch, 2);
  await cam.stop();
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, i.value.seq === 0 ? good : good2)), [0, 0]);
  const s = cam.stats();
  t.equal(s.errors.connect, 2, "HTTP 500 and the reset");
  t.equal(s.errors.corrupt, 1, "the half JPEG");
  t.equal(s.reconnects, 2);
});

t.test("snapshot - a timeout is counted as a connect error", async (t) => {
  const ch = await frameChannel(t);
  const [good] = await jpegs(1);
  let served = 0;
  const { url } = await server(t, (_req, res) => {
    if (served++ === 0) return; // never answers
    res.writeHead(200).end(good);
  });
  const watch = errorWatch();
  const timedOut = watch.next("connect");
  const cam = new SnapshotCamera({ url, rate: 100, timeoutMs: 50, channel: ch, onError: watch.onError, backoff: { initialMs: 5 } }).start();
  await frames(ch, 1);
  const err = await timedOut;
  await cam.stop();
  t.match(err.message, /abort|timeout/i);
  t.equal(cam.stats().frames >= 1, true);
});
