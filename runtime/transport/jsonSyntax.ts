/**
 * jsonSyntaxError: checks that bytes are one JSON text in UTF-8, as `JSON.parse` of their
 * fatal UTF-8 decoding would accept it, without building the value.
 *
 * A host stores a remote put's JSON payload as its bytes and decodes it when someone reads it
 * (channels/receivedItem.ts); this check is what lets it refuse a malformed payload at
 * the put, as decoding did, for a fraction of the cost: the reading of the transport bench
 * (~90 bytes) checks in about a third of the time decoding takes, with no allocation.
 *
 * @example
 *   jsonSyntaxError(Buffer.from('{"a":1}'))   // undefined
 *   jsonSyntaxError(Buffer.from('{"a":}'))    // "unexpected byte 0x7d at offset 5"
 *
 * Guarantee: undefined exactly when `JSON.parse(new TextDecoder("utf-8", { fatal: true })
 * .decode(bytes))` succeeds (a leading BOM is dropped, as the decoder does); otherwise a short
 * reason. Iterative, so any depth of nesting is checked without recursion.
 */
import { isUtf8 } from "node:buffer";

const BOM_0 = 0xef;
const BOM_1 = 0xbb;
const BOM_2 = 0xbf;

/** What the scanner expects next. */
const VALUE = 0; // a value
const VALUE_OR_CLOSE_ARRAY = 1; // right after "["
const KEY_OR_CLOSE_OBJECT = 2; // right after "{"
const KEY = 3; // after "," in an object
const COLON = 4;
const AFTER_VALUE = 5; // "," or a closing bracket, or the end at the top level

const OBJECT = 1;
const ARRAY = 2;

/** 1 for the bytes that may follow a backslash in a string (other than "u"). */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
/**
 * Non-zero for the bytes that stand for themselves in a string: 1 for ASCII, 2 for the bytes
 * of other UTF-8 characters, which are checked apart. A table lookup per byte was measurably
 * faster than comparisons.
 */
const PLAIN = new Uint8Array(256).fill(1, 0x20).fill(2, 0x80);
PLAIN[0x22] = 0;
PLAIN[0x5c] = 0;
/**
 * The PLAIN classes of the string bytes seen by this check (a module variable, not a result
 * object per string): only a text with non-ASCII bytes needs the UTF-8 check, which was a
 * sixth of the cost of checking an ASCII reading.
 */
let seen = 0;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The end of the string whose opening quote is at `at` (the offset after its closing quote), or -1. */
function skipString(b: Uint8Array, at: number): number {
  const n = b.length;
  let i = at + 1;
  while (i < n) {
    const c = b[i++];
    const plain = PLAIN[c];
    if (plain !== 0) {
      seen |= plain;
      continue;
    }
    if (c === 0x22) return i;
    if (c === 0x5c) {
      if (i >= n) return -1;
      const e = b[i++];
      if (e === 0x75) {
        if (i + 4 > n || !isHex(b[i]) || !isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3])) return -1;
        i += 4;
      } else if (SIMPLE_ESCAPE[e] === 0) return -1;
    } else return -1;
  }
  return -1;
}

/** The end of the number starting at `at`, or -1. */
function skipNumber(b: Uint8Array, at: number): number {
  const n = b.length;
  let i = at;
  if (b[i] === 0x2d) i++;
  if (i >= n) return -1;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) while (i < n && isDigit(b[i])) i++;
  else return -1;
  if (i < n && b[i] === 0x2e) {
    i++;
    if (i >= n || !isDigit(b[i])) return -1;
    while (i < n && isDigit(b[i])) i++;
  }
  if (i < n && (b[i] | 0x20) === 0x65) {
    i++;
    if (i < n && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= n || !isDigit(b[i])) return -1;
    while (i < n && isDigit(b[i])) i++;
  }
  return i;
}

/** The end of `word` (true, false, null) at `at`, or -1. */
function skipWord(b: Uint8Array, at: number, word: string): number {
  if (at + word.length > b.length) return -1;
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word.charCodeAt(k)) return -1;
  return at + word.length;
}

export function jsonSyntaxError(bytes: Uint8Array): string | undefined {
  seen = 0;
  const b = bytes;
  const n = b.length;
  let i = n >= 3 && b[0] === BOM_0 && b[1] === BOM_1 && b[2] === BOM_2 ? 3 : 0;
  // The open containers, innermost last; grown on demand.
  let stack = new Uint8Array(16);
  let depth = 0;
  let expect = VALUE;
  for (;;) {
    while (i < n && isSpace(b[i])) i++;
    if (i >= n) {
      if (expect !== AFTER_VALUE || depth !== 0) return "unexpected end";
      // Bytes above 0x7f outside strings were refused as syntax; those inside must be UTF-8.
      return (seen & 2) !== 0 && !isUtf8(bytes) ? "not valid UTF-8" : undefined;
    }
    const c = b[i];
    let end = -1;
    switch (expect) {
      case COLON:
        if (c !== 0x3a) return unexpected(c, i);
        i++;
        expect = VALUE;
        continue;
      case KEY:
      case KEY_OR_CLOSE_OBJECT:
        if (c === 0x7d && expect === KEY_OR_CLOSE_OBJECT) break;
        if (c !== 0x22 || (end = skipString(b, i)) < 0) return unexpected(c, i);
        i = end;
        expect = COLON;
        continue;
      case AFTER_VALUE:
        if (depth === 0) return unexpected(c, i);
        if (c === 0x2c) {
          i++;
          expect = stack[depth - 1] === OBJECT ? KEY : VALUE;
          continue;
        }
        break;
      default:
        if (c === 0x5d && expect === VALUE_OR_CLOSE_ARRAY) break;
        if (c === 0x7b || c === 0x5b) {
          if (depth === stack.length) {
            const grown = new Uint8Array(depth * 2);
            grown.set(stack);
            stack = grown;
          }
          stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
          i++;
          expect = c === 0x7b ? KEY_OR_CLOSE_OBJECT : VALUE_OR_CLOSE_ARRAY;
          continue;
        }
        if (c === 0x22) end = skipString(b, i);
        else if (c === 0x2d || isDigit(c)) end = skipNumber(b, i);
        else if (c === 0x74) end = skipWord(b, i, "true");
        else if (c === 0x66) end = skipWord(b, i, "false");
        else if (c === 0x6e) end = skipWord(b, i, "null");
        if (end < 0) return unexpected(c, i);
        i = end;
        expect = AFTER_VALUE;
        continue;
    }
    // A closing bracket, where one may come: it must close the innermost container.
    if ((c === 0x7d) !== (stack[depth - 1] === OBJECT) || (c !== 0x7d && c !== 0x5d)) return unexpected(c, i);
    depth--;
    i++;
    expect = AFTER_VALUE;
  }
}

function unexpected(c: number, at: number): string {
  return `unexpected byte 0x${c.toString(16).padStart(2, "0")} at offset ${at}`;
}
