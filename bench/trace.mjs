// Loss trace of one stylize() run, to compare optimiser settings by when they reach a target loss.
//   node bench/trace.mjs                                   # default settings, 256x256, 100 iterations
//   PC='{"decay":0.5}' node bench/trace.mjs                # precondition option (JSON, or "none")
//   LB='{"lineSearch":"none"}' node bench/trace.mjs        # lbfgs options (JSON)
//   SCALES='[0.5,1]' ITS='[30,100]' node bench/trace.mjs   # coarse-to-fine
//   TARGET=2.5143e6 SIZE=256 CONTENT=tubingen.jpg STYLE=starry_night.jpg (defaults shown; the target is plain
//   L-BFGS's 100-iteration loss at 256x256 from `npm run bench -- --time-to-quality`)
// Prints the loss (and tensor, WASM heap and RSS sizes) every 10 iterations, when the final scale starts, and when
// the target is first reached.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nst = await import(join(here, '..', 'dist', 'node.js'));
const tf = await import('@tensorflow/tfjs-core');
await nst.ready();
const images = join(here, '..', '..', 'shared', 'images');
const env = process.env;
const square = (img) => {
  const s = Math.min(img.width, img.height);
  const ch = img.data.length / (img.width * img.height);
  const x0 = (img.width - s) >> 1;
  const y0 = (img.height - s) >> 1;
  const data = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let c = 0; c < 3; c++) data[(y * s + x) * 3 + c] = img.data[((y + y0) * img.width + x + x0) * ch + c];
  return { data, width: s, height: s, channels: 3 };
};
const content = square(await nst.readImage(join(images, env.CONTENT ?? 'tubingen.jpg')));
const style = square(await nst.readImage(join(images, env.STYLE ?? 'starry_night.jpg')));
const model = await nst.loadVgg19();
const target = Number(env.TARGET ?? 2.5143e6);
const scales = JSON.parse(env.SCALES ?? '[1]');
const iterations = JSON.parse(env.ITS ?? '[100]');
const precondition = env.PC ? (env.PC.startsWith('{') ? JSON.parse(env.PC) : env.PC) : undefined;
const t0 = performance.now();
let reached;
let finalStarted = false;
const r = await nst.stylize({
  model, content, style, size: Number(env.SIZE ?? 256), scales, iterations, lbfgs: JSON.parse(env.LB ?? '{}'),
  ...(precondition ? { precondition } : {}),
  onIteration: (i) => {
    const t = ((performance.now() - t0) / 1000).toFixed(1);
    if (i.scale === scales.length - 1 && !finalStarted) {
      finalStarted = true;
      console.log(`final scale starts at iteration ${i.iteration}: loss ${i.loss.total.toExponential(4)} (${t} s)`);
    }
    if (i.scale === scales.length - 1 && !reached && i.loss.total <= target) {
      reached = { iteration: i.iteration, evaluations: i.evaluations, seconds: Number(t) };
      console.log(`target ${target.toExponential(4)} reached: ${JSON.stringify(reached)}`);
    }
    if (i.iteration % 10 === 0) {
      const heap = tf.backend().wasm?.HEAPU8?.buffer.byteLength;
      const mem = `tensors ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MB${heap ? `, WASM heap ${(heap / 2 ** 20).toFixed(0)} MB` : ''}, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`;
      console.log(`scale ${i.scale} iteration ${i.iteration} evaluations ${i.evaluations} loss ${i.loss.total.toExponential(4)} ${t} s (${mem})`);
    }
  },
});
console.log(`done: ${r.stopReason}, ${r.evaluations} evaluations, final loss ${r.history.at(-1).loss.total.toExponential(4)}, ${((performance.now() - t0) / 1000).toFixed(1)} s; target ${reached ? `reached at ${JSON.stringify(reached)}` : 'not reached'}`);
r.dispose();
model.dispose();
