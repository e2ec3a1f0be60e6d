import { defineConfig } from 'vitest/config';

// The browser tests in headless Chromium (`npm run test:browser`, which builds the package and the page first): the
// example page end to end, and the golden checks on WebGL (float32, float16) and WebGPU. Kept apart from
// vitest.config.ts so `npm test` stays Node-only.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    env: { NST_BROWSER_E2E: '1' },
    // The golden checks load the uint8-only weights the reference used (built once into a temp folder).
    globalSetup: ['test/setup/global-setup.ts'],
    // WebGL on SwiftShader (no GPU) takes seconds per VGG-19 pass; the whole file takes a few minutes.
    testTimeout: 600_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
