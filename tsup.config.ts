import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', webgl: 'src/webgl.ts', wasm: 'src/wasm.ts', webgpu: 'src/webgpu.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  // import.meta.url in the CJS build (the Node adapter locates weights and .wasm files with it).
  shims: true,
  target: 'es2022',
  platform: 'neutral',
  external: [/^@tensorflow\//, /^node:/],
  define: { __NST_VERSION__: JSON.stringify(pkg.version) },
});
