// jsonSyntaxError (runtime/transport/jsonSyntax.ts) against its definition: undefined exactly
// when JSON.parse of the fatal UTF-8 decoding succeeds. Fixed cases, then many mutations of
// valid texts, compared with JSON.parse itself.
import t from "tap";
import { seededRandom } from "../../../runtime/index.ts";
import { jsonSyntaxError } from "../../../runtime/transport/jsonSyntax.ts";

const fatal = new TextDecoder("utf-8", { fatal: true });
/** A text as an assertion message: TAP would take a raw U+2028 for a line break. */
const label = (text: string) => JSON.stringify(text).replace(/\u2028/g, "\\u2028");
function parses(bytes: Uint8Array): boolean {
  try {
    JSON.parse(fatal.decode(bytes));
    return true;
  } catch {
    return false;
  }
}

t.test("jsonSyntax - accepts every kind of JSON text", async (t) => {
  const texts = ['{"sensor":"imu","seq":1,"ax":-0.5,"ok":true,"none":null}', "[]", "{}", " \t\r\n[ 1 , 2 ]\n", '"é 🚀"', "0", "-0", "1e5", "-1.5E-3", "2E+2", '"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"', '"\\ud800"', "[[[[{}]]]]", '{"a":{"b":[{"c":[]}]}}', "\ufeff[1]", '"\u2028\x7f"'];
  for (const text of texts) {
    const bytes = Buffer.from(text, "utf8");
    t.ok(parses(bytes), `JSON.parse takes ${label(text)}`);
    t.equal(jsonSyntaxError(bytes), undefined, label(text));
  }
  const deep = Buffer.from("[".repeat(100_000) + "]".repeat(100_000));
  t.equal(jsonSyntaxError(deep), undefined, "any depth, without recursion");
});

t.test("jsonSyntax - refuses what JSON.parse refuses, with a reason", async (t) => {
  const texts = ["", " ", "{", "[1,]", "[,1]", '{"a":}', '{"a" 1}', '{"a":1,}', "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", '"abc', '"\\x"', '"\\u12g4"', '"tab\there"', "[1] 2", "[}", "{]", "'s'", "NaN", "\ufeff", "\ufeff\ufeff1"];
  for (const text of texts) {
    const bytes = Buffer.from(text, "utf8");
    t.notOk(parses(bytes), `JSON.parse refuses ${label(text)}`);
    t.type(jsonSyntaxError(bytes), "string", label(text));
  }
  t.match(jsonSyntaxError(Buffer.from([0x22, 0xc3, 0x28, 0x22])), /UTF-8/, "invalid UTF-8 inside a string");
  t.match(jsonSyntaxError(Buffer.from('{"a":}')), /0x7d at offset 5/, "says where");
});

t.test("jsonSyntax - agrees with JSON.parse on 100k mutations of valid texts", async (t) => {
  const random = seededRandom(5);
  const pick = (n: number) => Math.floor(random() * n);
  const seeds = ['{"a":[1,2.5e-3,-0,true,false,null,"x\\u00e9\\n"]}', "[]", "{}", '"é🚀"', " 1 ", '[[[[{"":{}}]]]]', "-1.0E+5", "\ufeff{\"k\":\"v\"}", '"\\ud800"', '{"a":1,"b":[{},[]]}'];
  const alphabet = Buffer.from(' \t\n\r{}[]:,"\\/u0123456789abcdefABCDEFtrunlse.-+Ee\x00\x1f\x7f', "latin1");
  let accepted = 0;
  let mismatches = 0;
  for (let k = 0; k < 100_000; k++) {
    let b = Buffer.from(seeds[pick(seeds.length)], "utf8");
    for (let m = 1 + pick(3); m > 0; m--) {
      const at = pick(b.length + 1);
      const op = pick(4);
      if (op === 0 && b.length > 0) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([alphabet[pick(alphabet.length)]]), b.subarray(at)]);
      else if (op === 2 && b.length > 0) {
        b = Buffer.from(b);
        b[pick(b.length)] = pick(4) === 0 ? pick(256) : alphabet[pick(alphabet.length)];
      } else if (op === 3) b = Buffer.concat([b.subarray(0, at), b.subarray(pick(b.length), pick(b.length + 1)), b.subarray(at)]);
    }
    const expected = parses(b);
    if (expected) accepted++;
    if ((jsonSyntaxError(b) === undefined) !== expected) mismatches++;
  }
  t.equal(mismatches, 0, "no disagreement");
  t.ok(accepted > 1000 && accepted < 99_000, `both outcomes are exercised (${accepted} accepted)`);
});
