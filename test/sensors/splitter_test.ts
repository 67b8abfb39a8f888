// Unit tests of the byte-level internals the cameras share: JPEG marker checks, the JPEG stream
// splitter (ffmpeg's -f mjpeg) and the multipart parser (MJPEG over HTTP).
import t from "tap";
import { JpegSplitter, jpegEnd, jpegSize } from "../../sensors/jpegInternals.ts";
import { MultipartParser, boundaryOf } from "../../sensors/mjpegInternals.ts";
import { BOUNDARY, jpegs, part } from "./cameraHelpers.ts";

/** Feeds bytes in pieces of `size` and collects what comes out. */
function feed<T>(bytes: Buffer, size: number, push: (b: Buffer) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...push(bytes.subarray(i, i + size)));
  return out;
}

t.test("jpeg - markers and size from the header", async (t) => {
  const [j] = await jpegs(1, 160, 120);
  t.equal(jpegEnd(j), j.length);
  t.equal(jpegEnd(Buffer.concat([j, Buffer.from("\r\n\0")])), j.length, "trailing padding allowed");
  t.equal(jpegEnd(j.subarray(0, j.length - 1)), -1);
  t.equal(jpegEnd(Buffer.from("xx")), -1);
  t.same(jpegSize(j), { width: 160, height: 120 });
  t.equal(jpegSize(Buffer.from("nope")), undefined);
});

t.test("splitter - back-to-back JPEGs in chunks of any size", async (t) => {
  const images = await jpegs(5);
  const stream = Buffer.concat(images);
  for (const size of [1, 2, 3, 7, 100, 4096, stream.length]) {
    const s = new JpegSplitter();
    const out = feed(stream, size, (b) => s.push(b));
    t.same(out.map((j, i) => Buffer.compare(j, images[i])), [0, 0, 0, 0, 0], `chunks of ${size}`);
    t.equal(s.pending, 0);
    t.equal(s.skipped, 0);
  }
});

t.test("splitter - skips junk, resyncs after a cut image, keeps an EXIF thumbnail inside", async (t) => {
  const [a, b, c] = await jpegs(3);
  // an APP1 segment right after SOI that holds a whole JPEG (a thumbnail) of its own
  const thumb = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.alloc(2), Buffer.from("Exif\0\0"), a]);
  thumb.writeUInt16BE(thumb.length - 2, 2);
  const withThumb = Buffer.concat([b.subarray(0, 2), thumb, b.subarray(2)]);
  const cut = c.subarray(0, c.length - 200);
  const s = new JpegSplitter();
  const out = feed(Buffer.concat([Buffer.from("junk"), withThumb, cut, a]), 50, (x) => s.push(x));
  t.same(out.map((j) => j.length), [withThumb.length, a.length]);
  t.same(Buffer.compare(out[0], withThumb), 0, "the thumbnail's EOI did not end the image");
  t.ok(s.skipped >= 4 + cut.length, "junk and the cut image skipped");
});

t.test("multipart - boundary forms and parts split anywhere", async (t) => {
  t.equal(boundaryOf("multipart/x-mixed-replace; boundary=abc"), "abc");
  t.equal(boundaryOf('multipart/x-mixed-replace;boundary="--my boundary"'), "--my boundary");
  t.equal(boundaryOf("image/jpeg"), undefined);
  const images = await jpegs(4);
  const stream = Buffer.concat([Buffer.from("preamble"), ...images.map((j, i) => part(j, i !== 1)), Buffer.from(`--${BOUNDARY}\r\n`)]);
  for (const size of [1, 5, 64, stream.length]) {
    const p = new MultipartParser(BOUNDARY);
    const out = feed(stream, size, (b) => p.push(b));
    t.same(out.map((x) => Buffer.compare(x.body, images[out.indexOf(x)])), [0, 0, 0, 0], `chunks of ${size}`);
    t.ok(out.every((x) => !x.truncated));
  }
  // a header boundary with the dashes, a body that doubles them
  const p = new MultipartParser("--cam");
  const out = p.push(Buffer.from("----cam\r\nContent-Length: 3\r\n\r\nabc\r\n----cam\r\n\r\nxyz\r\n----cam\r\n"));
  t.same(out.map((x) => x.body.toString()), ["abc", "xyz"]);
});

t.test("multipart - a part shorter than its Content-Length is truncated; the next one survives", async (t) => {
  const [a, b] = await jpegs(2);
  const p = new MultipartParser(BOUNDARY);
  const out = p.push(Buffer.concat([part(a.subarray(0, 100), true, a.length), part(b)]));
  t.same(out.map((x) => [x.truncated, x.body.length]), [[true, 102], [false, b.length]]);
  p.push(part(a).subarray(0, 300));
  t.ok(p.reset() > 0, "a stream ending inside a part leaves bytes behind");
});
