// A browser app's entry, bundled by each bundler for each entry point of the package (the consumer suite writes
// one copy per entry with the three placeholders filled in). It runs a tiny stylize and leaves a report in
// window.__report.
import * as nst from '__ENTRY__';
import * as tf from '@tensorflow/tfjs-core';
/* __SETUP__ */

const style = { data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256), width: 32, height: 32 };

async function run() {
  const t0 = performance.now();
  const ms = {};
  const backend = await /* __READY__ */ null;
  ms.ready = Math.round(performance.now() - t0);
  // The default location, with no configuration (the suite serves no weights: they come from the routed CDN).
  let model;
  let defaultWeights;
  try {
    model = await nst.loadVgg19();
    defaultWeights = 'loaded';
  } catch (e) {
    return { error: `default weights: ${e.code}: ${e.message}` };
  }
  const weightsFrom = model.location;
  ms.load = Math.round(performance.now() - t0 - ms.ready);
  const start = tf.memory().numTensors;
  let out;
  if (new URLSearchParams(location.search).has('features')) {
    // ?features: one forward pass to relu2_1 instead of a stylize (WebGPU on SwiftShader compiles slowly).
    const { relu2_1 } = await nst.extractFeatures(model, style, ['relu2_1']);
    out = { width: relu2_1.shape[2] * 2, height: relu2_1.shape[1] * 2, bytes: relu2_1.shape[2] * 2 * relu2_1.shape[1] * 2 * 4, channels: relu2_1.shape[3] };
    relu2_1.dispose();
  } else {
    const result = await nst.stylize({ model, content: style, style, size: 32, iterations: 1 });
    const pixels = await result.toPixels();
    result.dispose();
    out = { width: pixels.width, height: pixels.height, bytes: pixels.data.length };
  }
  const leaked = tf.memory().numTensors - start;
  model.dispose();
  ms.run = Math.round(performance.now() - t0 - ms.ready - ms.load);
  return { backend, ...out, leaked, defaultWeights, location: weightsFrom, version: nst.VERSION, ms };
}

window.__report = run().catch((e) => ({ error: String((e && e.stack) || e) }));
