#!/usr/bin/env node
/**
 * `npm run demo` — the main job on a built-in sample, in one command: stylises a content/style pair and runs a
 * small layer sweep (3 style layers × 2 iteration counts), writing everything into out/ (gitignored).
 *
 *   npm run demo                       # tubingen.jpg + starry_night.jpg from ../shared/images, or generated images
 *   npm run demo -- photo.jpg art.png  # your own pair
 *   npm run demo -- --generated        # the generated pair even when ../shared/images is there
 *   npm run demo -- --quick            # CI's smoke run: the same steps, smaller (64 px, few iterations)
 *
 * Uses the BUILT package (`npm run build`), imported by name as a user would (`/node` for the essentials,
 * `/experiments` for the sweep). About 1–2 minutes on 2 CPU cores (--quick: well under a minute). Any failure
 * prints the error with its stack and exits 1 (2 for a usage mistake), so CI notices.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
if (!existsSync(join(ROOT, 'dist', 'node.js'))) {
  console.error('demo: dist/ is missing; run "npm run build" first (npm ci does it too).');
  process.exit(1);
}
// Fail loudly: an error anywhere (also in a callback or a stray promise) goes to stderr and exits with code 1.
const die = (e) => {
  console.error(`demo failed: ${e?.stack ?? e}`);
  process.exit(1);
};
process.on('unhandledRejection', die);
process.on('uncaughtException', die);

const { ready, loadVgg19, createStylizer, readImage, writeImage, VERSION } = await import('neural-style-tfjs/node');
const { sweep, renderContactSheet } = await import('neural-style-tfjs/experiments');
for (const [name, fn] of Object.entries({ ready, loadVgg19, createStylizer, readImage, writeImage, sweep, renderContactSheet })) {
  if (typeof fn !== 'function') die(new Error(`the built package exports no function ${name} (neural-style-tfjs/node or /experiments)`));
}

const quick = process.argv.includes('--quick');
const SIZE = quick ? 64 : 128;
const ITERATIONS = quick ? 8 : 60;
const SWEEP_SIZE = quick ? 48 : 96;
const SWEEP_LAYERS = ['conv1_1', 'conv3_1', 'conv5_1'];
const SWEEP_ITERATIONS = quick ? [2, 4] : [10, 40];

const OUT = join(ROOT, 'out');
mkdirSync(OUT, { recursive: true });
const show = (p) => relative(process.cwd(), p) || p;
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

// ── inputs ─────────────────────────────────────────────────────────────────────────────────────────────────
/** A small landscape: sky gradient, sun, hills, a row of houses with windows, water with reflections. */
function sampleContent(w = 256, h = 192) {
  const d = new Uint8ClampedArray(w * h * 4);
  const put = (x, y, r, g, b) => {
    const i = (y * w + x) * 4;
    d[i] = r, d[i + 1] = g, d[i + 2] = b, d[i + 3] = 255;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = y / h;
      let [r, g, b] = [90 + 120 * t, 150 + 80 * t, 235 - 30 * t]; // sky
      if ((x - 200) ** 2 + (y - 40) ** 2 < 18 ** 2) [r, g, b] = [255, 220, 90]; // sun
      const hill = 110 + 18 * Math.sin(x / 23) + 8 * Math.sin(x / 7.3);
      if (y > hill) [r, g, b] = [60 + 30 * Math.sin(x / 11), 130 + 20 * Math.sin(y / 5), 60]; // hills
      // houses
      const hx = Math.floor(x / 28);
      const top = 95 + ((hx * 37) % 23);
      const inHouse = x % 28 > 2 && x % 28 < 26 && y > top && y < 150;
      const roof = x % 28 > 2 && x % 28 < 26 && y <= top && y > top - 12 + Math.abs((x % 28) - 14);
      if (inHouse) {
        const palette = [[230, 200, 150], [200, 120, 90], [240, 230, 210], [180, 170, 120], [210, 150, 150]];
        [r, g, b] = palette[hx % palette.length];
        if ((x % 28) % 7 > 3 && (y - top) % 12 > 4 && (y - top) % 12 < 10) [r, g, b] = [50, 60, 80]; // windows
      }
      if (roof) [r, g, b] = [150, 60, 50];
      if (y >= 150) {
        // water reflecting the row above the shore
        const ry = Math.max(0, 300 - y - 2 + Math.round(2 * Math.sin(x / 3 + y)));
        const i = (Math.min(149, ry) * w + x) * 4;
        [r, g, b] = [d[i] * 0.6 + 20, d[i + 1] * 0.6 + 40, d[i + 2] * 0.6 + 70];
      }
      put(x, y, r, g, b);
    }
  }
  return { data: d, width: w, height: h };
}

/** A vivid swirling "painting": flow-field strokes in a blue/yellow palette. */
function sampleStyle(w = 256, h = 192) {
  const d = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = x - w * 0.6, cy = y - h * 0.4;
      const a = Math.atan2(cy, cx), r = Math.hypot(cx, cy);
      const swirl = Math.sin(r / 6 - a * 3) + 0.6 * Math.sin(x / 9 + Math.sin(y / 13) * 3);
      const stroke = 0.5 + 0.5 * Math.sin((x * 0.8 + y * 0.3) / 2.2 + swirl * 2.5);
      const t = Math.max(0, Math.min(1, 0.5 + 0.35 * swirl));
      const i = (y * w + x) * 4;
      d[i] = 30 + 210 * t * stroke;
      d[i + 1] = 50 + 170 * t * (0.4 + 0.6 * stroke);
      d[i + 2] = 140 + 100 * (1 - t) - 60 * stroke * t;
      d[i + 3] = 255;
    }
  }
  return { data: d, width: w, height: h };
}

const generated = process.argv.includes('--generated');
const args = process.argv.slice(2).filter((a) => a !== '--generated' && a !== '--quick');
let content, style, names;
if (args.length === 1 || args.length > 2 || args.some((a) => a.startsWith('--'))) {
  console.error('usage: npm run demo [-- <content> <style>] [-- --generated] [-- --quick]');
  process.exit(2);
}
if (args.length === 2) {
  [content, style] = [await readImage(args[0]), await readImage(args[1])];
  names = [args[0], args[1]];
} else {
  const shared = resolve(ROOT, '..', 'shared', 'images');
  const c = join(shared, 'tubingen.jpg'), s = join(shared, 'starry_night.jpg');
  if (!generated && existsSync(c) && existsSync(s)) {
    [content, style] = [await readImage(c), await readImage(s)];
    names = [show(c), show(s)];
  } else {
    [content, style] = [sampleContent(), sampleStyle()];
    names = ['a generated landscape', 'a generated swirl painting'];
    await writeImage(join(OUT, 'demo-content.png'), content);
    await writeImage(join(OUT, 'demo-style.png'), style);
  }
}

// ── run ────────────────────────────────────────────────────────────────────────────────────────────────────
const backend = await ready();
console.log(`neural-style-tfjs ${VERSION} demo on ${backend}: content ${names[0]}, style ${names[1]}`);
const model = await loadVgg19();
const stylizer = await createStylizer({ model });
// Progress: redrawn in place on a terminal, a line every 20 iterations in a log.
const tty = Boolean(process.stdout.isTTY);
const status = (n, text) => {
  if (tty ? n % 5 === 0 : n % 20 === 0) process.stdout.write(tty ? `\r  ${text}   ` : `  ${text}\n`);
};
const endStatus = () => tty && process.stdout.write('\n');
const tick = (label) => ({ iteration, iterations, loss }) => status(iteration, `${label}: ${iteration}/${iterations}  loss ${loss.total.toExponential(3)}`);
try {
  console.log(`1/2 stylize: ${SIZE} px, ${ITERATIONS} L-BFGS iterations`);
  const result = await stylizer.stylize(content, style, { size: SIZE, iterations: ITERATIONS, onIteration: tick('stylize') });
  const stylized = join(OUT, 'demo-stylized.png');
  await writeImage(stylized, await result.toPixels());
  endStatus();
  console.log(`  wrote ${show(stylized)} (${result.width}x${result.height}, ${result.iterations} iterations, ${secs(result.timings.totalMs)})`);
  result.dispose();

  console.log(`2/2 sweep: style from ${SWEEP_LAYERS.join(', ')} alone × ${SWEEP_ITERATIONS.join(', ')} iterations at ${SWEEP_SIZE} px`);
  const sw = await sweep({
    content, style, stylizer, size: SWEEP_SIZE, seed: 0,
    vary: { styleLayers: SWEEP_LAYERS }, iterations: SWEEP_ITERATIONS,
    onProgress: (p) => status(p.iteration, `run ${p.run + 1}/${p.runs} (${p.label}): ${p.iteration}/${p.iterations}`),
  });
  endStatus();
  const sheet = renderContactSheet(sw);
  const sheetPath = join(OUT, 'demo-sweep.png');
  await writeImage(sheetPath, sheet);
  await writeFile(join(OUT, 'demo-sweep.json'), `${JSON.stringify(sheet.record, null, 2)}\n`);
  console.log(`  wrote ${show(sheetPath)} (${sheet.rows}x${sheet.columns} tiles) and ${show(join(OUT, 'demo-sweep.json'))} (${secs(sw.timings.totalMs)})`);
  if (sheet.rows !== SWEEP_LAYERS.length || sheet.columns !== SWEEP_ITERATIONS.length) {
    throw new Error(`the sweep sheet has ${sheet.rows}x${sheet.columns} tiles; expected ${SWEEP_LAYERS.length}x${SWEEP_ITERATIONS.length}`);
  }
  console.log(`done in ${secs(Date.now() - t0)}. Look at ${show(OUT)}/; the same from the command line:`);
  console.log(`  npx neural-style-tfjs stylize <content> <style> -o out.png --size ${SIZE} --iterations ${ITERATIONS}`);
  console.log(`  npx neural-style-tfjs sweep <content> <style> --vary style-layers=${SWEEP_LAYERS.join(',')} --iterations ${SWEEP_ITERATIONS.join(',')} --size ${SWEEP_SIZE} -o sheet.png`);
} finally {
  stylizer.dispose();
  model.dispose();
}
