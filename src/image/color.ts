import * as tf from '@tensorflow/tfjs-core';

/**
 * Colour preservation (Gatys, Ecker, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual Factors in
 * Neural Style Transfer", §3): either transfer style on luminance only, or match the style image's colour
 * statistics to the content's before transferring.
 */
export type PreserveColors = false | 'luminance' | 'histogram';

// RGB ↔ YIQ (NTSC), as used in the paper's luminance-only transfer.
const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

/** Applies a 3x3 colour matrix M (out = M·in per pixel) to `[1,H,W,3]`. */
function applyMatrix(x: tf.Tensor4D, m: number[][]): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const flat = tf.reshape(x, [h * w, 3]);
    const mt = tf.tensor2d([m[0][0], m[1][0], m[2][0], m[0][1], m[1][1], m[2][1], m[0][2], m[1][2], m[2][2]], [3, 3]);
    return tf.reshape(tf.matMul(flat, mt), [1, h, w, 3]) as tf.Tensor4D;
  });
}

export function rgbToYiq(x: tf.Tensor4D): tf.Tensor4D {
  return applyMatrix(x, RGB_TO_YIQ);
}

export function yiqToRgb(x: tf.Tensor4D): tf.Tensor4D {
  return applyMatrix(x, invert3(RGB_TO_YIQ));
}

/** Luminance (Y of YIQ) as a grey RGB image `[1,H,W,3]`. */
export function luminanceImage(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.slice(rgbToYiq(x), [0, 0, 0, 0], [-1, -1, -1, 1]);
    return tf.concat([y, y, y], 3) as tf.Tensor4D;
  });
}

/** Shifts and scales the luminance of grey image `x` to the mean/std of grey image `ref` (paper eq. 9). */
export function matchLuminance(x: tf.Tensor4D, ref: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const a = tf.moments(x);
    const b = tf.moments(ref);
    const scale = tf.div(tf.sqrt(b.variance), tf.add(tf.sqrt(a.variance), 1e-6));
    return tf.add(tf.mul(tf.sub(x, a.mean), scale), b.mean) as tf.Tensor4D;
  });
}

/** Puts the luminance of `stylized` under the chrominance (I, Q) of `content`; both `[1,H,W,3]`, same size. */
export function combineLuminance(stylized: tf.Tensor4D, content: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.slice(rgbToYiq(stylized), [0, 0, 0, 0], [-1, -1, -1, 1]);
    const iq = tf.slice(rgbToYiq(content), [0, 0, 0, 1], [-1, -1, -1, 2]);
    return yiqToRgb(tf.concat([y, iq], 3) as tf.Tensor4D);
  });
}

/** Mean (3) and covariance (3x3) of an image's RGB values, computed on the host in doubles. */
export async function colorStats(x: tf.Tensor4D): Promise<{ mean: number[]; cov: number[][] }> {
  const v = await x.data();
  const n = v.length / 3;
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) mean[c] += v[i * 3 + c];
  for (let c = 0; c < 3; c++) mean[c] /= n;
  const cov = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < n; i++) {
    const d = [v[i * 3] - mean[0], v[i * 3 + 1] - mean[1], v[i * 3 + 2] - mean[2]];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) cov[a][b] += d[a] * d[b];
  }
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) cov[a][b] /= n;
  return { mean, cov };
}

/**
 * Colour histogram matching, linear method (paper §3.2): returns `style` with its colours transformed as
 * x' = A(x − μ_s) + μ_c, A = Σ_c^½ Σ_s^−½, so its mean and covariance equal the content's.
 */
export async function matchColorHistogram(style: tf.Tensor4D, content: tf.Tensor4D): Promise<tf.Tensor4D> {
  const s = await colorStats(style);
  const c = await colorStats(content);
  const a = matMul3(symPow(c.cov, 0.5), symPow(s.cov, -0.5));
  const shift = [0, 1, 2].map((i) => c.mean[i] - (a[i][0] * s.mean[0] + a[i][1] * s.mean[1] + a[i][2] * s.mean[2]));
  return tf.tidy(() => tf.add(applyMatrix(style, a), tf.tensor1d(shift)) as tf.Tensor4D);
}

/** S^p for a symmetric positive semi-definite 3x3 matrix (Jacobi eigendecomposition; tiny eigenvalues floored). */
export function symPow(m: number[][], p: number): number[][] {
  const { values, vectors } = jacobiEigen(m);
  const floor = 1e-6 * Math.max(...values.map(Math.abs), 1e-12);
  const lam = values.map((v) => Math.max(v, floor) ** p);
  const out = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i][j] += vectors[i][k] * lam[k] * vectors[j][k];
  return out;
}

function jacobiEigen(m: number[][]): { values: number[]; vectors: number[][] } {
  const a = m.map((r) => r.slice());
  const v = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) off += a[i][j] ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < 3; p++) {
      for (let q = p + 1; q < 3; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 3; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 3; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 3; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: [a[0][0], a[1][1], a[2][2]], vectors: v };
}

function matMul3(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
}

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

// sRGB (D65) → CIE XYZ, on linear RGB (IEC 61966-2-1).
const SRGB_TO_XYZ = [
  [0.4124564, 0.3575761, 0.1804375],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339, 0.119192, 0.9503041],
];
const D65_WHITE = [0.95047, 1, 1.08883];

/**
 * CIE L\*a\*b\* (D65 white) of one sRGB colour given as 0–255 values, on the host: L in 0–100 (0 black, 100 white),
 * a and b about −128…127 (0 for greys).
 */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lin = [r, g, b].map((v) => {
    const c = Math.min(1, Math.max(0, v / 255));
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const f = SRGB_TO_XYZ.map((row, i) => {
    const t = (row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]) / D65_WHITE[i];
    return t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
  });
  return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
}
