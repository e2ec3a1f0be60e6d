import { defineConfig } from 'vitest/config';

// The end-to-end test of the example page in headless Chromium (`npm run test:browser`, which builds the package
// and the page first). Kept apart from vitest.config.ts so `npm test` stays Node-only.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    env: { NST_BROWSER_E2E: '1' },
    // WebGL on SwiftShader (no GPU) takes seconds per VGG-19 pass; the whole file takes a few minutes.
    testTimeout: 600_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
