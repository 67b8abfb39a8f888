/**
 * cropFrame: the part of a frame inside a box, as JPEG bytes — e.g. the region a motion
 * detector or an object detector reported, for a snapshot or a second-stage classifier.
 *
 * Guarantees: the box is clipped to the image; a box entirely outside it, or empty after
 * clipping, rejects with a RangeError. `pad` grows the box on every side before clipping.
 *
 * @example
 *   const [box] = motion.boxes;
 *   const jpeg = await cropFrame(frame, box, { pad: 8 });
 *
 * @param input          a Frame or JPEG bytes
 * @param box            in pixels of the full image
 * @param options.pad    pixels added around the box (default 0)
 * @param options.quality JPEG quality (default 80)
 */
import sharp from "sharp";
import { clipBox, sizeOf } from "./frameInternals.ts";
import type { Box, Frame } from "../types.ts";

export async function cropFrame(input: Frame | Uint8Array, box: Box, options: { pad?: number; quality?: number } = {}): Promise<Buffer> {
  const jpeg = input instanceof Uint8Array ? input : input.jpeg;
  const size = await sizeOf(input);
  const pad = options.pad ?? 0;
  const clipped = clipBox({ x: box.x - pad, y: box.y - pad, width: box.width + 2 * pad, height: box.height + 2 * pad }, size.width, size.height);
  if (clipped === undefined) throw new RangeError(`box ${JSON.stringify(box)} lies outside the ${size.width}x${size.height} image`);
  return sharp(jpeg)
    .extract({ left: clipped.x, top: clipped.y, width: clipped.width, height: clipped.height })
    .jpeg({ quality: options.quality ?? 80 })
    .toBuffer();
}
