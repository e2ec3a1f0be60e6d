// Bundled by esbuild --platform=node (CommonJS output, esbuild's default there) and run: importing one name must
// keep the Node adapter's setup (backend registration, weights from the installed package).
import { loadVgg19, stylize, ready } from 'neural-style-tfjs/node';

(async () => {
  const model = await loadVgg19();
  const style = { data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256), width: 32, height: 32 };
  const result = await stylize({ model, content: style, style, size: 32, iterations: 1 });
  const backend = await ready();
  console.log(JSON.stringify({ backend, width: result.width }));
  result.dispose();
  model.dispose();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
