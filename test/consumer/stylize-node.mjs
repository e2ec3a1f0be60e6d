// Node ESM consumer: a 32 px stylize through `neural-style-tfjs/<entry>`, on the app's own tfjs-core.
// Prints one JSON line; exits 1 on any failure.
import * as tf from '@tensorflow/tfjs-core';

const entry = process.argv[2] ?? 'node';
const { stylize, ready, StyleTransferError, VERSION } = await import(`neural-style-tfjs/${entry}`);

const backend = await ready();
const start = tf.memory().numTensors;
// The app's own tensor as the content image (the same tfjs-core instance the package uses).
const content = tf.tidy(() => tf.reshape(tf.linspace(0, 255, 24 * 32 * 3), [24, 32, 3]));
const style = { data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256), width: 32, height: 32 };
const result = await stylize({ content, style, size: 32, iterations: 2 });
const pixels = await result.toPixels();
result.dispose();
content.dispose();
let code = 'none';
try {
  await stylize({ content: style, style, size: -1 });
} catch (e) {
  code = e instanceof StyleTransferError ? e.code : `not a StyleTransferError: ${e}`;
}
console.log(JSON.stringify({ entry, module: 'esm', version: VERSION, backend, tfBackend: tf.getBackend(), width: pixels.width, height: pixels.height, bytes: pixels.data.length, leaked: tf.memory().numTensors - start, errorCode: code }));
