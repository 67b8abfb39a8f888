// Framing: a JSON header and a body of parts; extendHeader adds header fields without touching
// the body.
import t from "tap";
import { FrameError, decodeMessage, encodeMessage, extendHeader } from "../../../index.ts";

t.test("framing - header and parts round-trip; malformed frames throw FrameError", async (t) => {
  const frame = encodeMessage({ items: [[1, 2], [2, 3]] }, [Buffer.from("ab"), Buffer.from("cde")]);
  const { header, body } = decodeMessage<{ items: [number, number][] }>(frame);
  t.same(header, { items: [[1, 2], [2, 3]] });
  t.equal(Buffer.from(body).toString(), "abcde", "the parts, back to back");
  t.throws(() => decodeMessage(new Uint8Array([1, 0])), FrameError);
});

t.test("framing - extendHeader adds fields that win over the header's own, and keeps the body", async (t) => {
  const frame = encodeMessage({ items: [[1, 2]], seq: 99 }, [Buffer.from("ab")]);
  const extended = decodeMessage<Record<string, unknown>>(extendHeader(frame, { host: "h", seq: 5 })!);
  t.same(extended.header, { items: [[1, 2]], seq: 5, host: "h" });
  t.equal(Buffer.from(extended.body).toString(), "ab");
  const empty = decodeMessage<Record<string, unknown>>(extendHeader(encodeMessage({}, [Buffer.from("x")]), { seq: 1 })!);
  t.same(empty.header, { seq: 1 }, "an empty header");
  t.equal(Buffer.from(empty.body).toString(), "x");
  const spaced = Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.from(" {} ")]);
  t.equal(extendHeader(spaced, { seq: 1 }), undefined, "a header with whitespace around it is left to the caller");
  t.equal(extendHeader(new Uint8Array([1]), { seq: 1 }), undefined);
});
