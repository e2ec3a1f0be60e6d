// Node CommonJS consumer: the same check as stylize-node.mjs through require().
const tf = require('@tensorflow/tfjs-core');
const entry = process.argv[2] || 'node';
const { stylize, ready, StyleTransferError, VERSION } = require(`neural-style-tfjs/${entry}`);

(async () => {
  const backend = await ready();
  const start = tf.memory().numTensors;
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
  console.log(JSON.stringify({ entry, module: 'cjs', version: VERSION, backend, tfBackend: tf.getBackend(), width: pixels.width, height: pixels.height, bytes: pixels.data.length, leaked: tf.memory().numTensors - start, errorCode: code }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
