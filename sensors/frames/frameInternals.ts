/**
 * Helpers the frame functions share: an image's size, and clipping a box to it.
 */
import sharp from "sharp";
import type { Box, Frame } from "../types.ts";

/** Width and height: a Frame's own, or read from the JPEG header. */
export async function sizeOf(input: Frame | Uint8Array): Promise<{ width: number; height: number }> {
  if (!(input instanceof Uint8Array)) return { width: input.width, height: input.height };
  const { width, height } = await sharp(input).metadata();
  return { width, height };
}

/** The box cut to 0..width, 0..height with integer edges; undefined when nothing is left. */
export function clipBox(box: Box, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
