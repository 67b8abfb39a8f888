import t from "tap";
import { MjpegCamera } from "../../sensors/index.ts";
import { until } from "../helpers.ts";
import { BOUNDARY, errorWatch, ffmpegMjpegServer, frameChannel, frames, jpegs, part, server, writeSplit } from "./cameraHelpers.ts";

t.test("mjpeg - frames from ffmpeg's MJPEG stream over HTTP", async (t) => {
  const ch = await frameChannel(t);
  const { url } = await ffmpegMjpegServer(t);
  const cam = new MjpegCamera({ url, channel: ch, id: "testsrc" }).start();
  const got = await frames(ch, 5);
  await cam.stop();
  t.same(got.map((i) => i.value.seq), [0, 1, 2, 3, 4]);
  for (const { ts, value } of got) {
    t.equal(value.camera, "testsrc");
    t.equal(value.width, 320);
    t.equal(value.height, 240);
    t.equal(value.ts, ts, "item ts is the capture ts");
    t.equal(value.jpeg[0], 0xff);
  }
  t.ok(got[4].ts > got[0].ts);
  const s = cam.stats();
  t.equal(s.state, "stopped");
  t.ok(s.frames >= 5 && s.bytes > 0);
  t.same(s.errors, {}, "no errors counted");
});

t.test("mjpeg - boundaries split across chunks, parts with and without Content-Length", async (t) => {
  const ch = await frameChannel(t);
  const images = await jpegs(6);
  const { url } = await server(t, async (_req, res) => {
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace; boundary="${BOUNDARY}"` });
    const body = Buffer.concat(images.map((jpeg, i) => part(jpeg, i % 2 === 1))); // the last has a length: without one a part ends only at the next delimiter
    await writeSplit(res, Buffer.concat([Buffer.from("preamble\r\n"), body]), 7); // 7 bytes a write: every boundary is split
    // keep the connection open: the camera must emit each part without waiting for the next
  });
  const cam = new MjpegCamera({ url, channel: ch }).start();
  const got = await frames(ch, 6);
  await cam.stop();
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, images[i.value.seq])), [0, 0, 0, 0, 0, 0], "every JPEG arrives byte for byte");
  t.same(cam.stats().errors, {});
});

t.test("mjpeg - corrupt JPEGs and truncated parts are counted and skipped; the stream goes on", async (t) => {
  const ch = await frameChannel(t);
  const [a, b, c, d] = await jpegs(4);
  const garbage = Buffer.from("this is not a jpeg at all");
  const noEoi = a.subarray(0, a.length - 100);
  const badHeader = Buffer.from(b);
  const sof = badHeader.indexOf(Buffer.from([0xff, 0xc0]));
  badHeader.writeUInt16BE(0, sof + 5); // SOI and EOI kept, height 0 in the frame header
  const { url } = await server(t, (_req, res) => {
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace;boundary=${BOUNDARY}` });
    res.write(Buffer.concat([
      part(a),
      part(garbage),
      part(noEoi, false),
      part(badHeader),
      part(c.subarray(0, 500), true, c.length), // claims more than it has: the next part's delimiter lies inside
      part(d),
    ]));
  });
  const watch = errorWatch();
  const truncated = watch.next("truncated");
  const cam = new MjpegCamera({ url, channel: ch, onError: watch.onError }).start();
  const got = await frames(ch, 2);
  await truncated;
  await cam.stop();
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, i.value.seq === 0 ? a : d)), [0, 0], "the good frames before and after the bad ones");
  t.same(got.map((i) => i.value.seq), [0, 1]);
  const s = cam.stats();
  t.equal(s.errors.corrupt, 3, "garbage, no EOI, zero height");
  t.equal(s.errors.truncated, 1, "the short part");
  t.equal(s.frames, 2);
});

t.test("mjpeg - a stream cut inside a part is counted; the camera reconnects and frames resume", async (t) => {
  const ch = await frameChannel(t);
  const images = await jpegs(4);
  let connections = 0;
  const { url } = await server(t, (_req, res) => {
    connections++;
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace;boundary=${BOUNDARY}` });
    if (connections === 1) {
      // two frames, then half a part, then the camera goes away
      res.end(Buffer.concat([part(images[0]), part(images[1]), part(images[2]).subarray(0, 300)]));
    } else if (connections === 2) {
      res.destroy(); // dies before sending anything
    } else {
      res.write(Buffer.concat([part(images[2]), part(images[3])]));
    }
  });
  const cam = new MjpegCamera({ url, channel: ch, backoff: { initialMs: 10, maxMs: 50 } }).start();
  const got = await frames(ch, 4);
  await cam.stop();
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, images[i.value.seq])), [0, 0, 0, 0]);
  const s = cam.stats();
  t.equal(s.reconnects, 2);
  t.equal(s.errors.truncated, 1);
  t.ok((s.errors.stream ?? 0) + (s.errors.connect ?? 0) >= 2, "each disconnect counted");
  t.equal(connections, 3);
});

t.test("mjpeg - ffmpeg's camera goes down and comes back", async (t) => {
  const ch = await frameChannel(t);
  const cam0 = await ffmpegMjpegServer(t);
  const cam = new MjpegCamera({ url: cam0.url, channel: ch, backoff: { initialMs: 10, maxMs: 50 } }).start();
  await frames(ch, 2);
  cam0.dropAll();
  // A stalled test process may have received more of the first stream before the drop: what
  // counts is what comes after the camera connected again.
  await until(() => cam0.requests() >= 2, "the camera to connect again");
  await frames(ch, 3, (await ch.get("newest"))!.ts);
  await cam.stop();
  t.ok(cam.stats().reconnects >= 1);
  const seqs = (await ch.get("oldest", "newest")).map((i) => i.value.seq);
  t.same(seqs, seqs.map((_, k) => k), `seq carries on across reconnects: ${seqs.length} frames, numbered from 0 without a gap`);
});

t.test("mjpeg - a rate limit drops what comes faster and counts it", async (t) => {
  const ch = await frameChannel(t);
  const images = await jpegs(5);
  const watch = errorWatch();
  const ended = watch.next("stream");
  const { url } = await server(t, (_req, res) => {
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace;boundary=${BOUNDARY}` });
    res.end(Buffer.concat(images.map((j) => part(j))));
  });
  const cam = new MjpegCamera({ url, channel: ch, rate: 0.001, onError: watch.onError, backoff: { initialMs: 60_000 } }).start();
  await ended; // the whole stream was read
  await cam.stop();
  const s = cam.stats();
  t.equal(s.frames, 1, "one frame per 1000 s");
  t.equal(s.dropped, 4);
});

t.test("mjpeg - a server that refuses, and stop() during backoff", async (t) => {
  const ch = await frameChannel(t);
  const { url } = await server(t, (_req, res) => {
    res.writeHead(503).end();
  });
  const watch = errorWatch();
  const refused = watch.next("connect");
  const cam = new MjpegCamera({ url, channel: ch, onError: watch.onError, backoff: { initialMs: 60_000 } }).start();
  const err = await refused;
  t.match(err.message, /HTTP 503/);
  t.equal(err.code, "PTS_SENSOR");
  await cam.stop(); // returns although the backoff delay is a minute
  await cam.finished;
  t.equal(cam.stats().state, "stopped");
  t.equal(cam.stats().frames, 0);
});
