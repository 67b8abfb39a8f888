import t from "tap";
import { CodecError, binaryCodec, encodeInto, encodedSize, jsonCodec, resolveCodec, type Codec } from "../../../runtime/index.ts";

t.test("codec - json round-trips values and sizes them", async (t) => {
  for (const v of [1, "x", null, [1, 2], { a: { b: "é" } }, true]) {
    t.same(jsonCodec.decode(jsonCodec.encode(v)), v);
  }
  t.equal(encodedSize(jsonCodec, { a: "é" }), Buffer.byteLength('{"a":"é"}'));
});

t.test("codec - json refuses what JSON cannot carry, and bad bytes", async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => jsonCodec.encode(cyclic), CodecError);
  t.throws(() => jsonCodec.encode(undefined), CodecError);
  t.throws(() => jsonCodec.encode(10n), CodecError);
  t.throws(() => jsonCodec.decode(Buffer.from("{nope")), CodecError);
  t.throws(() => jsonCodec.decode(Buffer.from([0xff, 0xfe])), CodecError, "invalid UTF-8");
});

t.test("codec - binary keeps bytes and refuses non-binary values", async (t) => {
  const bytes = new Uint8Array([1, 2, 3]);
  const out = binaryCodec.decode(binaryCodec.encode(bytes));
  t.ok(Buffer.isBuffer(out));
  t.same([...out], [1, 2, 3]);
  t.equal(encodedSize(binaryCodec, Buffer.alloc(10)), 10);
  t.throws(() => binaryCodec.encode("text" as unknown as Uint8Array), CodecError);
});

t.test("codec - resolveCodec takes names and custom codecs, refuses others", async (t) => {
  t.equal(resolveCodec(undefined).name, "json");
  t.equal(resolveCodec("binary").name, "binary");
  const upper: Codec<string> = { name: "upper", encode: (s) => Buffer.from(s.toUpperCase()), decode: (b) => Buffer.from(b).toString() };
  const c = resolveCodec(upper);
  t.equal(c.decode(c.encode("abc")), "ABC");
  t.equal(encodedSize(c, "abcd"), 4, "size falls back to encode");
  t.equal(resolveCodec({ encode: upper.encode, decode: upper.decode } as Codec<string>).name, "custom");
  t.throws(() => resolveCodec("xml" as "json"), CodecError);
  t.throws(() => resolveCodec({} as Codec<string>), CodecError);
});

t.test("codec - json decodes ASCII and non-ASCII bytes alike, from a Buffer or a plain Uint8Array", async (t) => {
  const ascii = { sensor: "imu", seq: 1, ax: -0.5 };
  const text = { name: "Zürich ✓ 🚀" };
  for (const v of [ascii, text]) {
    const bytes = jsonCodec.encode(v);
    t.same(jsonCodec.decode(bytes), v, "Buffer");
    t.same(jsonCodec.decode(new Uint8Array(bytes)), v, "Uint8Array");
    const inside = Buffer.concat([Buffer.from("xx"), bytes, Buffer.from("yy")]);
    t.same(jsonCodec.decode(inside.subarray(2, 2 + bytes.byteLength)), v, "a view into a larger buffer");
  }
  t.same(jsonCodec.decode(Buffer.from("\ufeff[1]", "utf8")), [1], "a leading BOM is dropped, as before");
});

t.test("codec - json refuses invalid JSON and invalid UTF-8, ASCII or not", async (t) => {
  t.throws(() => jsonCodec.decode(Buffer.from('{"a":')), CodecError, "ASCII, not JSON");
  t.throws(() => jsonCodec.decode(new Uint8Array(Buffer.from("[1,]"))), CodecError, "ASCII Uint8Array, not JSON");
  t.throws(() => jsonCodec.decode(Buffer.from('"é', "utf8")), CodecError, "UTF-8, not JSON");
  t.throws(() => jsonCodec.decode(Buffer.from([0x22, 0xc3, 0x28, 0x22])), CodecError, "invalid UTF-8 inside a string");
  t.throws(() => jsonCodec.decode(Buffer.alloc(0)), CodecError, "empty");
});

t.test("codec - encodeInto writes what encode gives, or nothing when it does not fit", async (t) => {
  const upper: Codec<string> = resolveCodec({ name: "upper", encode: (s: string) => Buffer.from(s.toUpperCase()), decode: (b) => Buffer.from(b).toString() });
  const cases: [Codec<unknown>, unknown][] = [[jsonCodec, { a: "é 🚀", n: [1, 2.5] }], [binaryCodec as Codec<unknown>, Buffer.from([1, 2, 3])], [upper as Codec<unknown>, "abc"]];
  for (const [codec, value] of cases) {
    const bytes = codec.encode(value);
    const target = Buffer.alloc(64, 0xaa);
    t.equal(encodeInto(codec, value, target, 5, 64), 5 + bytes.byteLength, `${codec.name}: returns where it ends`);
    t.same(target.subarray(5, 5 + bytes.byteLength), bytes, `${codec.name}: the same bytes`);
    t.equal(encodeInto(codec, value, target, 10, 10 + bytes.byteLength - 1), -1, `${codec.name}: one byte short`);
    t.equal(encodeInto(codec, value, target, 10, 10 + bytes.byteLength), 10 + bytes.byteLength, `${codec.name}: exactly fits`);
  }
  t.throws(() => encodeInto(jsonCodec, undefined, Buffer.alloc(8), 0, 8), CodecError);
  t.throws(() => encodeInto(binaryCodec as Codec<unknown>, "text", Buffer.alloc(8), 0, 8), CodecError);
});

t.test("codec - validate refuses exactly what decode refuses", async (t) => {
  const samples = [Buffer.from('{"a":1}'), Buffer.from("\ufeff[1]"), Buffer.from('{"a":'), Buffer.from([0x22, 0xc3, 0x28, 0x22]), Buffer.alloc(0), Buffer.from("[1,]")];
  for (const bytes of samples) {
    let decodes = true;
    try {
      jsonCodec.decode(bytes);
    } catch {
      decodes = false;
    }
    if (decodes) t.doesNotThrow(() => jsonCodec.validate!(bytes), bytes.toString("hex"));
    else t.throws(() => jsonCodec.validate!(bytes), CodecError, bytes.toString("hex"));
  }
});
