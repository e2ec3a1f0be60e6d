/**
 * Frame pairs with known optical flow, for the video tests and bench/flow.mjs: an analytic texture (random
 * sinusoids over several scales and orientations, plus soft blobs), sampled exactly at moved coordinates, so the
 * ground truth has no interpolation error.
 *
 * A motion maps a point p of frame 1 to m(p) in frame 2; frame 2 is T(m⁻¹(q)), and the true flow on frame 1's
 * grid is w(p) = m(p) − p, so frame1(p) = frame2(p + w(p)), the convention of src/video/.
 */
import { mulberry32 } from '../../src/image/noise.js';

export interface Motion {
  name: string;
  /** Where frame 1's point (x, y) lands in frame 2. */
  forward(x: number, y: number, width: number, height: number): [number, number];
  /** The inverse: which frame-1 point lands on frame 2's (x, y). */
  inverse(x: number, y: number, width: number, height: number): [number, number];
}

export const translation = (tx: number, ty: number): Motion => ({
  name: `translation (${tx}, ${ty}) px`,
  forward: (x, y) => [x + tx, y + ty],
  inverse: (x, y) => [x - tx, y - ty],
});

/** Rotation by `degrees` about the frame's centre. */
export const rotation = (degrees: number): Motion => {
  const t = (degrees * Math.PI) / 180;
  const rot = (x: number, y: number, w: number, h: number, s: number): [number, number] => {
    const cx = (w - 1) / 2;
    const cy = (h - 1) / 2;
    const dx = x - cx;
    const dy = y - cy;
    return [cx + Math.cos(s * t) * dx - Math.sin(s * t) * dy, cy + Math.sin(s * t) * dx + Math.cos(s * t) * dy];
  };
  return { name: `rotation ${degrees}°`, forward: (x, y, w, h) => rot(x, y, w, h, 1), inverse: (x, y, w, h) => rot(x, y, w, h, -1) };
};

/** Zoom by `factor` about the frame's centre (> 1: magnify). */
export const zoom = (factor: number): Motion => {
  const z = (x: number, y: number, w: number, h: number, f: number): [number, number] => [(w - 1) / 2 + f * (x - (w - 1) / 2), (h - 1) / 2 + f * (y - (h - 1) / 2)];
  return { name: `zoom ×${factor}`, forward: (x, y, w, h) => z(x, y, w, h, factor), inverse: (x, y, w, h) => z(x, y, w, h, 1 / factor) };
};

/** An analytic RGB texture in 0–255: T(x, y) for any real x, y. */
export function texture(seed = 1): (x: number, y: number) => [number, number, number] {
  const r = mulberry32(seed);
  const waves = Array.from({ length: 14 }, () => {
    const f = 0.08 + 0.5 * r() ** 1.5; // rad/px: periods from ~11 to ~80 px
    const a = r() * Math.PI;
    return { fx: f * Math.cos(a), fy: f * Math.sin(a), phase: r() * 6.283, colour: [r(), r(), r()] };
  });
  const blobs = Array.from({ length: 10 }, () => ({ cx: r() * 96 - 16, cy: r() * 96 - 16, s: 3 + 6 * r(), colour: [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1] }));
  return (x, y) => {
    const px = [128, 128, 128];
    for (const w of waves) {
      const v = Math.sin(w.fx * x + w.fy * y + w.phase);
      for (let c = 0; c < 3; c++) px[c] += 14 * v * w.colour[c];
    }
    for (const b of blobs) {
      const g = Math.exp(-((x - b.cx) ** 2 + (y - b.cy) ** 2) / (2 * b.s * b.s));
      for (let c = 0; c < 3; c++) px[c] += 60 * g * b.colour[c];
    }
    return [px[0], px[1], px[2]].map((v) => Math.max(0, Math.min(255, v))) as [number, number, number];
  };
}

export interface FramePair {
  /** RGB floats 0–255, `height·width·3`, row-major. */
  frame1: Float32Array;
  frame2: Float32Array;
  /** The true flow on frame 1's grid, (u, v) interleaved, `height·width·2`. */
  flow: Float32Array;
  /** 1 where p + w(p) lies inside frame 2 (the flow has a correspondence there), else 0; `height·width`. */
  inside: Float32Array;
  width: number;
  height: number;
}

/** Frames 1 and 2 of `motion` applied to the texture, with the true flow. */
export function framePair(motion: Motion, width: number, height: number, seed = 1): FramePair {
  const t = texture(seed);
  const frame1 = new Float32Array(width * height * 3);
  const frame2 = new Float32Array(width * height * 3);
  const flow = new Float32Array(width * height * 2);
  const inside = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      frame1.set(t(x, y), i * 3);
      const [bx, by] = motion.inverse(x, y, width, height);
      frame2.set(t(bx, by), i * 3);
      const [fx, fy] = motion.forward(x, y, width, height);
      flow[i * 2] = fx - x;
      flow[i * 2 + 1] = fy - y;
      inside[i] = fx >= 0 && fx <= width - 1 && fy >= 0 && fy <= height - 1 ? 1 : 0;
    }
  }
  return { frame1, frame2, flow, inside, width, height };
}

/** A clip of `frames` frames: the texture moved by `motion` once more at each frame (frame k = T(m⁻ᵏ(p))), RGB floats 0–255. */
export function clip(motion: Motion, frames: number, width: number, height: number, seed = 1): Float32Array[] {
  const t = texture(seed);
  return Array.from({ length: frames }, (_, k) => {
    const out = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let [bx, by] = [x, y];
        for (let s = 0; s < k; s++) [bx, by] = motion.inverse(bx, by, width, height);
        out.set(t(bx, by), (y * width + x) * 3);
      }
    }
    return out;
  });
}
