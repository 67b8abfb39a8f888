/**
 * SyntheticCamera: a camera with no hardware. It renders a static textured background and
 * moving objects (boxes and discs bouncing off the edges) with a little sensor noise, encodes
 * each frame to JPEG with sharp, and puts it into a channel. The demo and the tests use it.
 *
 * Guarantees:
 * - Deterministic: the same seed and options give the same JPEG bytes for the same frame
 *   number, on any run (positions are a pure function of seed and frame number; the noise is
 *   a seeded PRNG). `render(seq)` and `boxesAt(seq)` give a frame and where its objects are
 *   without running the camera, for tests and benchmarks.
 * - Frame n has ts = startTs + n * 1e6 / fps, so a replay is the same in data time.
 * - Paced at `fps` (or `rate`, when given) in real time; `realtime: false` renders as fast as
 *   the channel takes frames. `frames` ends the source after that many frames.
 *
 * @example
 *   const video = await rt.channel<Frame>("synthetic", { codec: frameCodec });
 *   const cam = new SyntheticCamera({ channel: video, seed: 42, width: 320, height: 240, fps: 10 }).start();
 *   const first = await video.next(0);          // a Frame at 320x240
 *   await cam.stop();
 *
 * @param options.seed      the scene and its motion (default 1)
 * @param options.width     frame width (default 320); options.height (default 240)
 * @param options.fps       frames per second of the scene's clock (default 10)
 * @param options.objects   how many moving objects (default 2)
 * @param options.speed     object speed in pixels per frame (default 4; 0: a static scene)
 * @param options.noise     sensor noise amplitude, 0..64 grey levels (default 3)
 * @param options.quality   JPEG quality (default 80)
 */
import sharp from "sharp";
import { RateLimiter, now, seededRandom } from "../runtime/index.ts";
import { CameraBase } from "./cameraInternals.ts";
import type { Box, CameraOptions } from "./types.ts";

export type SyntheticCameraOptions = Omit<CameraOptions, "channel"> & {
  channel?: CameraOptions["channel"];
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
  objects?: number;
  speed?: number;
  noise?: number;
  quality?: number;
  frames?: number;
  realtime?: boolean;
  startTs?: number;
};

type Shape = { disc: boolean; w: number; h: number; x0: number; y0: number; vx: number; vy: number; rgb: [number, number, number] };


/** Position along [0, span] of a point moving at v from p0, bouncing off both ends. */
function bounce(p0: number, v: number, n: number, span: number): number {
  if (span <= 0) return 0;
  const period = 2 * span;
  const p = (((p0 + v * n) % period) + period) % period;
  return Math.round(p <= span ? p : period - p);
}

const NOISE_PERIOD = 4093; // prime: frame n reads the noise table at a shifted offset

/** A sink that throws: a SyntheticCamera made only to render() has nowhere to put frames. */
const nowhere = {
  put(): Promise<void> {
    return Promise.reject(new Error("this SyntheticCamera was made without a channel"));
  },
};

export class SyntheticCamera extends CameraBase {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly shapes: Shape[];
  private readonly background: Buffer;
  private readonly noiseTable: Int8Array;
  private readonly quality: number;
  private readonly limit: number;
  private readonly pace: RateLimiter | undefined;
  private startTs: number | undefined;
  private n = 0;

  constructor(options: SyntheticCameraOptions = {}) {
    super({ ...options, channel: options.channel ?? nowhere, rate: undefined }, `synthetic-${options.seed ?? 1}`);
    const seed = options.seed ?? 1;
    this.width = options.width ?? 320;
    this.height = options.height ?? 240;
    this.fps = options.fps ?? 10;
    this.quality = options.quality ?? 80;
    this.limit = options.frames ?? Infinity;
    this.startTs = options.startTs;
    this.pace = options.realtime === false ? undefined : new RateLimiter(options.rate ?? this.fps, 1);
    const rnd = seededRandom(seed);
    const { width: W, height: H } = this;
    // A static background: a diagonal gradient under a few flat tiles.
    this.background = Buffer.alloc(W * H * 3);
    const tint = [40 + rnd() * 60, 40 + rnd() * 60, 40 + rnd() * 60];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const g = ((x + y) / (W + H)) * 80;
        const i = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) this.background[i + c] = tint[c] + g;
      }
    }
    for (let k = 0; k < 6; k++) {
      const w = Math.round(W * (0.05 + rnd() * 0.15));
      const h = Math.round(H * (0.05 + rnd() * 0.15));
      this.fill(this.background, false, Math.round(rnd() * (W - w)), Math.round(rnd() * (H - h)), w, h, [60 + rnd() * 60, 60 + rnd() * 60, 60 + rnd() * 60]);
    }
    const speed = options.speed ?? 4;
    this.shapes = [];
    for (let k = 0; k < (options.objects ?? 2); k++) {
      const size = Math.round(Math.min(W, H) * (0.12 + rnd() * 0.1));
      const angle = rnd() * 2 * Math.PI;
      this.shapes.push({
        disc: k % 2 === 1,
        w: size,
        h: size,
        x0: rnd() * (W - size),
        y0: rnd() * (H - size),
        vx: speed * Math.cos(angle),
        vy: speed * Math.sin(angle),
        rgb: [180 + rnd() * 75, 180 + rnd() * 75, 180 + rnd() * 75],
      });
    }
    const amp = Math.max(0, Math.min(64, options.noise ?? 3));
    this.noiseTable = new Int8Array(W * H * 3 + NOISE_PERIOD);
    const noise = seededRandom(seed ^ 0x9e3779b9);
    for (let i = 0; i < this.noiseTable.length; i++) this.noiseTable[i] = Math.round((noise() * 2 - 1) * amp);
  }

  /** Where each object is in frame `seq`. */
  boxesAt(seq: number): Box[] {
    return this.shapes.map((s) => ({
      x: bounce(s.x0, s.vx, seq, this.width - s.w),
      y: bounce(s.y0, s.vy, seq, this.height - s.h),
      width: s.w,
      height: s.h,
    }));
  }

  /** Renders frame `seq` as JPEG bytes (the same bytes for the same seed, options and seq). */
  async render(seq: number): Promise<Buffer> {
    const { width: W, height: H } = this;
    const raw = Buffer.allocUnsafe(W * H * 3);
    const off = (seq * 7919) % NOISE_PERIOD;
    const bg = this.background;
    const noise = this.noiseTable;
    for (let i = 0; i < raw.length; i++) {
      const v = bg[i] + noise[i + off];
      raw[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    const boxes = this.boxesAt(seq);
    this.shapes.forEach((s, k) => this.fill(raw, s.disc, boxes[k].x, boxes[k].y, s.w, s.h, s.rgb));
    return sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: this.quality }).toBuffer();
  }

  protected async session(signal: AbortSignal): Promise<"done"> {
    this.startTs ??= now();
    const step = 1e6 / this.fps;
    while (this.n < this.limit) {
      if (this.pace) await this.pace.take(signal);
      if (signal.aborted) break;
      const seq = this.n++;
      await this.frame(await this.render(seq), this.startTs + Math.round(seq * step));
    }
    return "done";
  }

  private fill(img: Buffer, disc: boolean, x: number, y: number, w: number, h: number, rgb: number[]): void {
    const W = this.width;
    const rx = w / 2;
    const ry = h / 2;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        if (disc) {
          const dx = (i + 0.5 - rx) / rx;
          const dy = (j + 0.5 - ry) / ry;
          if (dx * dx + dy * dy > 1) continue;
        }
        const p = ((y + j) * W + (x + i)) * 3;
        img[p] = rgb[0];
        img[p + 1] = rgb[1];
        img[p + 2] = rgb[2];
      }
    }
  }
}
