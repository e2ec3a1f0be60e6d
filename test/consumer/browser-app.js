// A browser app's entry, bundled by each bundler for each entry point of the package (the consumer suite writes
// one copy per entry with ENTRY replaced). It runs a tiny stylize and leaves a report in window.__report.
import * as nst from 'neural-style-tfjs/ENTRY';
import * as tf from '@tensorflow/tfjs-core';
SETUP

const style = { data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256), width: 32, height: 32 };

async function run() {
  const backend = await READY;
  // The default location: it either works or fails with WEIGHTS_MISSING naming the fix.
  let defaultWeights;
  try {
    const m = await nst.loadVgg19();
    m.dispose();
    defaultWeights = 'loaded';
  } catch (e) {
    defaultWeights = `${e.code}: ${e.message}`;
  }
  const model = await nst.loadVgg19({ weights: new URL('/weights/', location.href).href });
  const start = tf.memory().numTensors;
  const result = await nst.stylize({ model, content: style, style, size: 32, iterations: 1 });
  const pixels = await result.toPixels();
  result.dispose();
  const leaked = tf.memory().numTensors - start;
  model.dispose();
  return { backend, width: pixels.width, height: pixels.height, bytes: pixels.data.length, leaked, defaultWeights, version: nst.VERSION };
}

window.__report = run().catch((e) => ({ error: String((e && e.stack) || e) }));
