/**
 * MotionDetector: frame differencing against the previous frame. Each frame is decoded small
 * and grey (shrink-on-load: a 640x480 JPEG is decoded straight to 160x120), compared pixel by
 * pixel with the previous one, and the changed pixels are reported as a score and as boxes.
 *
 * - A pixel has changed when its grey level differs by more than `threshold` (default 25 of
 *   255): JPEG artefacts and sensor noise stay below it, a moving object does not.
 * - `score` is the fraction of changed pixels, in [0, 1].
 * - Boxes: the image is cut into a grid of `cell`-pixel squares (analysis pixels, default 8);
 *   a cell is active when at least `cellFraction` (default 0.05) of its pixels changed. Active
 *   cells are grouped into connected components, where cells up to `gap` cells apart (default
 *   1) count as touching — so the leading and trailing edges of one moving object join into
 *   one box. Components smaller than `minCells` cells (default 1) are ignored. Boxes are in
 *   pixels of the full-size frame.
 * - The first frame, and a frame whose size differs from the previous one, has score 0 and no
 *   boxes: there is nothing to compare it with.
 *
 * Guarantees: detect() calls are processed one at a time in call order (each compares with the
 * frame of the call before). The detector keeps one previous frame; reset() forgets it.
 *
 * @example
 *   const motion = new MotionDetector({ threshold: 30 });
 *   for await (const { value: frame } of video.items({ follow: true })) {
 *     const { score, boxes } = await motion.detect(frame);
 *     if (score > 0.01) await alerts.put({ camera: frame.camera, boxes }, frame.ts);
 *   }
 *
 * @param options.width        analysis width in pixels (default 160; the height keeps the aspect)
 */
import { jpegSize } from "../jpegInternals.ts";
import { decodeFrame } from "./decodeFrame.ts";
import type { Box, Frame, RawImage } from "../types.ts";

export type MotionOptions = { width?: number; threshold?: number; cell?: number; cellFraction?: number; gap?: number; minCells?: number };
export type Motion = { score: number; boxes: Box[] };

export class MotionDetector {
  private readonly width: number;
  private readonly threshold: number;
  private readonly cell: number;
  private readonly cellFraction: number;
  private readonly gap: number;
  private readonly minCells: number;
  /** The previous grey frame, and per-cell counts and labels: allocated once per frame size and
   * reused, since a detector sees a long run of frames of one size. */
  private prev: Buffer | undefined;
  private prevW = 0;
  private prevH = 0;
  private counts = new Int32Array(0);
  private labels = new Int32Array(0);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: MotionOptions = {}) {
    this.width = options.width ?? 160;
    this.threshold = options.threshold ?? 25;
    this.cell = options.cell ?? 8;
    this.cellFraction = options.cellFraction ?? 0.05;
    this.gap = options.gap ?? 1;
    this.minCells = options.minCells ?? 1;
  }

  /** Decodes a frame small and grey and compares it with the previous one. */
  detect(input: Frame | Uint8Array): Promise<Motion> {
    const decoded = decodeFrame(input, { width: this.width, grey: true });
    const full = input instanceof Uint8Array ? jpegSize(input) : { width: input.width, height: input.height };
    const result = this.queue.then(async () => {
      const grey = await decoded;
      return this.compare(grey, full?.width, full?.height);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Compares an already decoded greyscale image with the previous one. `fullWidth` and
   * `fullHeight` (default: the image's own) scale the boxes to the original frame.
   */
  compare(grey: RawImage, fullWidth = grey.width, fullHeight = grey.height): Motion {
    if (grey.channels !== 1) throw new RangeError("MotionDetector.compare needs a greyscale image (decodeFrame with grey: true)");
    const { width: W, height: H, data } = grey;
    const prev = this.prev;
    const comparable = prev !== undefined && this.prevW === W && this.prevH === H;
    if (!comparable) {
      this.prev = Buffer.from(data);
      this.prevW = W;
      this.prevH = H;
      return { score: 0, boxes: [] };
    }
    const c = this.cell;
    const gw = Math.ceil(W / c);
    const gh = Math.ceil(H / c);
    if (this.counts.length !== gw * gh) {
      this.counts = new Int32Array(gw * gh);
      this.labels = new Int32Array(gw * gh);
    } else {
      this.counts.fill(0);
    }
    const counts = this.counts;
    const t = this.threshold;
    let changed = 0;
    for (let y = 0; y < H; y++) {
      const row = y * W;
      const crow = ((y / c) | 0) * gw;
      for (let x = 0; x < W; x++) {
        const d = data[row + x] - prev[row + x];
        if (d > t || d < -t) {
          changed++;
          counts[crow + ((x / c) | 0)]++;
        }
      }
    }
    data.copy(prev, 0, 0, W * H);
    const boxes = changed === 0 ? [] : this.components(gw, gh, W, H, fullWidth / W, fullHeight / H);
    return { score: changed / (W * H), boxes };
  }

  /** Forgets the previous frame: the next one scores 0. */
  reset(): void {
    this.prev = undefined;
  }

  /** Connected components of active cells (cells within `gap` touch), as boxes in full-frame pixels. */
  private components(gw: number, gh: number, W: number, H: number, sx: number, sy: number): Box[] {
    const { counts, labels, cell: c, gap } = this;
    const reach = gap + 1;
    labels.fill(0);
    const active = (i: number) => {
      const cx = i % gw;
      const cy = (i / gw) | 0;
      const area = (Math.min(W, (cx + 1) * c) - cx * c) * (Math.min(H, (cy + 1) * c) - cy * c);
      return counts[i] > 0 && counts[i] >= this.cellFraction * area;
    };
    const boxes: Box[] = [];
    const stack: number[] = [];
    let next = 0;
    for (let i = 0; i < gw * gh; i++) {
      if (labels[i] !== 0 || !active(i)) continue;
      const label = ++next;
      labels[i] = label;
      stack.push(i);
      let x0 = gw, y0 = gh, x1 = -1, y1 = -1, cells = 0;
      while (stack.length > 0) {
        const j = stack.pop()!;
        const cx = j % gw;
        const cy = (j / gw) | 0;
        cells++;
        if (cx < x0) x0 = cx;
        if (cx > x1) x1 = cx;
        if (cy < y0) y0 = cy;
        if (cy > y1) y1 = cy;
        for (let dy = -reach; dy <= reach; dy++) {
          const ny = cy + dy;
          if (ny < 0 || ny >= gh) continue;
          for (let dx = -reach; dx <= reach; dx++) {
            const nx = cx + dx;
            if (nx < 0 || nx >= gw) continue;
            const k = ny * gw + nx;
            if (labels[k] === 0 && active(k)) {
              labels[k] = label;
              stack.push(k);
            }
          }
        }
      }
      if (cells < this.minCells) continue;
      const px0 = x0 * c;
      const py0 = y0 * c;
      const px1 = Math.min(W, (x1 + 1) * c);
      const py1 = Math.min(H, (y1 + 1) * c);
      const bx = Math.floor(px0 * sx);
      const by = Math.floor(py0 * sy);
      boxes.push({ x: bx, y: by, width: Math.ceil(px1 * sx) - bx, height: Math.ceil(py1 * sy) - by });
    }
    return boxes;
  }
}
