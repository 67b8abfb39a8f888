/**
 * annotateBoxes: draws boxes (and optional labels) on a frame and returns JPEG bytes — for
 * snapshots of what a detector found. The boxes are an SVG overlay that sharp composites onto
 * the decoded image, so any stroke width and colour SVG knows is available.
 *
 * Guarantees: the output has the input's size; boxes partly outside the image are clipped by
 * the drawing, boxes wholly outside leave no mark. Label text is escaped for SVG.
 *
 * @example
 *   const { boxes } = await motion.detect(frame);
 *   await writeFile("motion.jpg", await annotateBoxes(frame, boxes, { labels: boxes.map(() => "motion") }));
 *
 * @param input             a Frame or JPEG bytes
 * @param boxes             in pixels of the full image
 * @param options.color     stroke colour (default "#ff2020")
 * @param options.lineWidth stroke width in pixels (default 2)
 * @param options.labels    a text per box, drawn above its top-left corner
 * @param options.quality   JPEG quality (default 80)
 */
import sharp from "sharp";
import { sizeOf } from "./frameInternals.ts";
import type { Box, Frame } from "../types.ts";

export type AnnotateOptions = { color?: string; lineWidth?: number; labels?: readonly string[]; quality?: number };

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);

export async function annotateBoxes(input: Frame | Uint8Array, boxes: readonly Box[], options: AnnotateOptions = {}): Promise<Buffer> {
  const jpeg = input instanceof Uint8Array ? input : input.jpeg;
  const { width, height } = await sizeOf(input);
  const color = escapeXml(options.color ?? "#ff2020");
  const lw = options.lineWidth ?? 2;
  const fontSize = Math.max(10, Math.round(height / 30));
  let shapes = "";
  boxes.forEach((b, i) => {
    shapes += `<rect x="${b.x + lw / 2}" y="${b.y + lw / 2}" width="${Math.max(0, b.width - lw)}" height="${Math.max(0, b.height - lw)}" fill="none" stroke="${color}" stroke-width="${lw}"/>`;
    const label = options.labels?.[i];
    if (label) shapes += `<text x="${b.x}" y="${Math.max(fontSize, b.y - 3)}" font-family="sans-serif" font-size="${fontSize}" fill="${color}">${escapeXml(label)}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes}</svg>`;
  return sharp(jpeg)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: options.quality ?? 80 })
    .toBuffer();
}
