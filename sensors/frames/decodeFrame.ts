/**
 * decodeFrame: JPEG bytes (or a Frame) to raw pixels, RGB or greyscale, optionally smaller.
 *
 * Scaling down by 2, 4 or 8 costs almost nothing: sharp lets libjpeg decode at that scale
 * (shrink-on-load) instead of decoding the full image and resizing it, so asking for the size
 * you will analyse at is much faster than decoding full size.
 *
 * Guarantees: the result's `data` holds exactly width * height * channels bytes, rows packed.
 * With only `width` (or only `height`) the aspect ratio is kept. A corrupt JPEG rejects with
 * sharp's error.
 *
 * @example
 *   const small = await decodeFrame(frame, { width: 160, grey: true });   // 160x120x1 from 640x480
 *
 * @param input          a Frame or JPEG bytes
 * @param options.width  target width in pixels; options.height likewise
 * @param options.grey   one channel of luminance instead of three of RGB
 */
import sharp from "sharp";
import type { Frame, RawImage } from "../types.ts";

export type DecodeOptions = { width?: number; height?: number; grey?: boolean };

export async function decodeFrame(input: Frame | Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  let img = sharp(input instanceof Uint8Array ? input : input.jpeg);
  if (options.width !== undefined || options.height !== undefined) {
    img = img.resize(options.width ?? null, options.height ?? null, { fit: options.width !== undefined && options.height !== undefined ? "fill" : "cover", fastShrinkOnLoad: true });
  }
  img = options.grey ? img.toColourspace("b-w") : img.removeAlpha().toColourspace("srgb");
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3 };
}
