/**
 * Pictures made here for tests that must not depend on the repo's images: smooth colour fields, stripes, discs
 * and a little noise, seeded by a name so each call with the same arguments gives the same pixels.
 */
import { mulberry32 as rng } from '../../src/image/noise.js';

const seedOf = (name: string) => [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);

/** RGB floats in 0–255, `height`x`width`x3, row-major. */
export function synthetic(name: string, height: number, width: number): Float32Array {
  const r = rng(seedOf(name));
  const waves = Array.from({ length: 4 }, () => ({ fx: (r() - 0.5) * 0.4, fy: (r() - 0.5) * 0.4, phase: r() * 6.28, colour: [r(), r(), r()] }));
  const discs = Array.from({ length: 5 }, () => ({ cx: r() * width, cy: r() * height, rad: (0.1 + 0.25 * r()) * Math.min(width, height), colour: [r() * 255, r() * 255, r() * 255] }));
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = [0, 0, 0];
      for (const w of waves) {
        const v = Math.sin(w.fx * x + w.fy * y + w.phase);
        for (let c = 0; c < 3; c++) px[c] += 40 * v * w.colour[c];
      }
      for (const d of discs) {
        if ((x - d.cx) ** 2 + (y - d.cy) ** 2 < d.rad ** 2) for (let c = 0; c < 3; c++) px[c] = 0.5 * px[c] + 0.5 * d.colour[c];
      }
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, 128 + px[c] + (r() - 0.5) * 20));
    }
  }
  return out;
}
