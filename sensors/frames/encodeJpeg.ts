/**
 * encodeJpeg: raw pixels (RGB or greyscale, as decodeFrame returns them) to JPEG bytes.
 *
 * Guarantees: the JPEG has the raw image's width and height; quality 1..100 (default 80).
 *
 * @example
 *   const jpeg = await encodeJpeg(await decodeFrame(frame, { width: 320 }), { quality: 70 });
 */
import sharp from "sharp";
import type { RawImage } from "../types.ts";

export async function encodeJpeg(image: RawImage, options: { quality?: number } = {}): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .jpeg({ quality: options.quality ?? 80 })
    .toBuffer();
}
