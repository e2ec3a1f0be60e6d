import { defineConfig } from 'vitest/config';

// Tests import the TypeScript sources (`../src/adapters/node.js`), which run on TF.js's WASM backend in Node.
// test/bundle.test.ts is the exception: it imports the built package (run `npx tsup` first).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The browser end-to-end test has its own config (vitest.browser.config.ts, `npm run test:browser`).
    exclude: ['test/browser/**', '**/node_modules/**'],
    globalSetup: ['test/setup/global-setup.ts'],
    // NST_TEST_BACKEND=cpu|tensorflow selects another backend for every file (npm run test:backends).
    setupFiles: ['test/setup/backend.ts'],
    // A VGG-19 forward + backward pass at 224 px takes seconds on WASM, more when other jobs share the CPU.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each worker holds its own copy of the weights (~80 MB as float32 tensors) and the WASM backend; two at
    // a time is what a 2-core machine runs well.
    maxWorkers: 2,
  },
});
