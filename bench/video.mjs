#!/usr/bin/env node
// Flicker of video style transfer (src/video/stylize-video.ts), measured: Ruder et al.'s temporal error (mean
// squared difference, 0–255 units, between stylised frame i and stylised frame i−1 warped into it by the estimated
// flow, on the pixels the consistency check finds reliable) for independent frames, the warped start only, and the
// warped start with the temporal loss; and seconds per frame. Not a test. Needs `npm run build` (uses dist/).
//
//   node bench/video.mjs                                  # 48 px, 3 frames, 20 iterations a frame (40 the first)
//   node bench/video.mjs --size 64 --frames 5 --iterations 30 --json
//   node bench/video.mjs --modes temporal --temporal-weight 1e4   # some of the modes; another weight
//   node bench/video.mjs --modes temporal,multi-pass --passes 4 --pass-iterations 10   # the multi-pass mode
//   node bench/video.mjs --source texture                 # test/helpers/motion.ts's texture instead of the photo
//   node bench/video.mjs --gif /tmp/video.gif             # also write each mode's frames side by side (ffmpeg)
//   node bench/video.mjs --strip strip.jpg --scale 3      # also a frame strip: a row of the clip, then one per mode
//
// The clip: a window panning across ../shared/images/tubingen.jpg (Neckarfront, Tübingen. Photo: Andreas Praefcke,
// CC BY 3.0) by (1.5, 0.5) px a frame, sampled bilinearly; the style: starry_night.jpg (public domain).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const images = join(root, '..', 'shared', 'images');
const args = process.argv.slice(2);
const value = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const size = Number(value('size', '48'));
const count = Number(value('frames', '3'));
const iterations = Number(value('iterations', '20'));
const first = Number(value('first', String(2 * iterations)));
const source = value('source', 'tubingen');
const gif = value('gif');
const stripFile = value('strip');
const scale = Number(value('scale', '1'));
const temporalWeight = value('temporal-weight') === undefined ? undefined : Number(value('temporal-weight'));
const [dx, dy] = [1.5, 0.5];
// The multi-pass mode (`--modes multi-pass`): passes, and iterations of every frame in every pass.
const passes = Number(value('passes', '4'));
const passIterations = Number(value('pass-iterations', String(Math.max(1, Math.round(iterations / 2)))));

const lib = await import(pathToFileURL(join(root, 'dist', 'node.js')).href);
const core = await import(pathToFileURL(join(root, 'dist', 'core.js')).href);
const tf = await import('@tensorflow/tfjs-core');
const backend = await lib.ready(value('backend'));

/** The clip's frames, RGBA at size x round(size · 3/4). */
async function makeClip() {
  const width = size;
  const height = Math.round((size * 3) / 4);
  let sample;
  if (source === 'texture') {
    const outfile = join(root, 'node_modules', '.cache', 'nst-bench', 'motion-bundle.mjs');
    mkdirSync(dirname(outfile), { recursive: true });
    await build({ entryPoints: [join(root, 'test', 'helpers', 'motion.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning' });
    const t = (await import(pathToFileURL(outfile).href)).texture(1);
    sample = (x, y) => t(x, y);
  } else {
    // The photo at 1.5 × the clip's width, so the window has room to pan.
    const photo = await lib.readImage(join(images, 'tubingen.jpg'));
    const pw = Math.round(width * 1.5);
    const ph = Math.round((photo.height * pw) / photo.width);
    const small = tf.tidy(() => core.resizeImage(core.toImageTensor(photo), ph, pw));
    const px = await small.data();
    small.dispose();
    const at = (x, y, c) => px[(Math.min(ph - 1, Math.max(0, y)) * pw + Math.min(pw - 1, Math.max(0, x))) * 3 + c];
    sample = (x, y) => {
      const [x0, y0] = [Math.floor(x), Math.floor(y)];
      const [fx, fy] = [x - x0, y - y0];
      return [0, 1, 2].map((c) => (at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx) * (1 - fy) + (at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx) * fy);
    };
  }
  return Array.from({ length: count }, (_, k) => {
    const data = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const rgb = sample(x + 4 + k * dx, y + 4 + k * dy);
        data.set([...rgb, 255], (y * width + x) * 4);
      }
    }
    return { data, width, height };
  });
}

const frames = await makeClip();
const style = await lib.readImage(join(images, 'starry_night.jpg'));
const stylizer = await lib.createStylizer();
const modes = value('modes', 'independent,warped-start,temporal').split(',');
const rows = [];
const outputs = {};
for (const consistency of modes) {
  const out = [];
  const tw = temporalWeight !== undefined ? { temporalWeight } : {};
  const loop = consistency === 'multi-pass'
    ? lib.stylizeFramesMultiPass(stylizer, frames, style, { size, passes, iterations: passIterations, ...tw })
    : lib.stylizeFrames(stylizer, frames, style, { size, iterations, firstFrameIterations: first, consistency, ...tw });
  for await (const f of loop) {
    out.push(f);
    console.error(`${consistency} frame ${f.index}: ${(f.ms / 1000).toFixed(1)} s, temporal error ${f.temporalError?.toFixed(1) ?? '-'}`);
  }
  outputs[consistency] = out.map((f) => f.image);
  const later = out.slice(1);
  rows.push({
    consistency,
    temporalError: later.map((f) => f.temporalError),
    meanTemporalError: later.reduce((a, f) => a + f.temporalError, 0) / later.length,
    reliable: later.reduce((a, f) => a + f.reliable, 0) / later.length,
    firstFrameSeconds: out[0].ms / 1000,
    secondsPerFrame: later.reduce((a, f) => a + f.ms, 0) / later.length / 1000,
  });
}
stylizer.dispose();
if (gif) {
  // Each frame: the content, then the three modes, side by side.
  const { width, height } = outputs.temporal[0];
  const strip = frames.map((content, k) => {
    const panels = [content, ...modes.map((m) => outputs[m][k])];
    const data = new Uint8ClampedArray(width * panels.length * height * 4);
    panels.forEach((p, j) => {
      for (let y = 0; y < height; y++) data.set(p.data.subarray(y * width * 4, (y + 1) * width * 4), (y * width * panels.length + j * width) * 4);
    });
    return { data, width: width * panels.length, height };
  });
  await lib.writeFrames(strip, gif, { fps: 6 });
}
if (stripFile) {
  // Frames left to right; the clip on top, then each mode's stylised frames; each pixel `scale` x `scale`.
  const { width, height } = frames[0];
  const rowsOf = [frames, ...modes.map((m) => outputs[m])];
  const gap = 2;
  const W = (count * (width + gap) - gap) * scale;
  const H = (rowsOf.length * (height + gap) - gap) * scale;
  const data = new Uint8ClampedArray(W * H * 4).fill(255);
  rowsOf.forEach((row, r) =>
    row.forEach((img, k) => {
      for (let y = 0; y < height * scale; y++) {
        for (let x = 0; x < width * scale; x++) {
          const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 4;
          const dst = ((r * (height + gap) * scale + y) * W + k * (width + gap) * scale + x) * 4;
          data.set(img.data.subarray(src, src + 4), dst);
          data[dst + 3] = 255;
        }
      }
    }),
  );
  await lib.writeImage(stripFile, { data, width: W, height: H }, { quality: 90 });
}
const settings = { size, frames: count, iterations, firstFrameIterations: first, temporalWeight: temporalWeight ?? 1e3, source, backend, motion: [dx, dy] };
if (args.includes('--json')) {
  console.log(JSON.stringify({ settings, rows }, null, 2));
} else {
  console.log(`video, ${JSON.stringify(settings)}`);
  console.log('| frames tied by | temporal error, each frame after the first | mean | reliable pixels | s, first frame | s a frame after it |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.consistency} | ${r.temporalError.map((e) => e.toFixed(1)).join(', ')} | ${r.meanTemporalError.toFixed(1)} | ${(100 * r.reliable).toFixed(0)}% | ${r.firstFrameSeconds.toFixed(1)} | ${r.secondsPerFrame.toFixed(1)} |`);
}
