// What several bench scripts share: their command-line flags, and a stylisation's inputs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The value after `--name`, or `def` when the flag is absent (or last). */
export const value = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};

/** Whether the bare `--name` was given. */
export const flag = (name) => args.includes(`--${name}`);

/**
 * The built package on `--backend` (default wasm), the pictures of `--content` and `--style` (default tubingen.jpg
 * and starry_night.jpg from ../shared/images) and the model.
 */
export async function stylizeInputs() {
  const nst = await import(join(root, 'dist', 'node.js'));
  const backend = await nst.ready(value('backend', 'wasm'));
  const shared = join(root, '..', 'shared', 'images');
  // The pure-JS decoder: the same pixels on every machine (sharp's libjpeg differs by up to 4 levels).
  const content = await nst.readImage(value('content', join(shared, 'tubingen.jpg')), { decoder: 'js' });
  const style = await nst.readImage(value('style', join(shared, 'starry_night.jpg')), { decoder: 'js' });
  const model = await nst.loadVgg19();
  return { nst, backend, content, style, model };
}
